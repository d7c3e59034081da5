package io.trellis.proxy;

import io.trellis.config.HostPort;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A workload's app for the tests, serving HTTP/1.1 and h2c on one port:
 *
 * <ul>
 *   <li>{@code /grpc}: a gRPC-shaped echo: answers 200 application/grpc at once, echoes every
 *       request chunk as it arrives (full duplex), then ends with trailers grpc-status 0;
 *   <li>{@code /grpc-fail}: trailers-only answer with grpc-status 5 (NOT_FOUND);
 *   <li>{@code /status/NNN}: answers NNN;
 *   <li>{@code /flaky}: every other request (the 1st, 3rd, ...) answers 500, the rest 200;
 *   <li>{@code /sleep/MS}: answers 200 after MS milliseconds;
 *   <li>{@code /trickle/MS}: answers 200 at once with a chunked body: one chunk, the next and
 *       last one MS milliseconds later;
 *   <li>{@code /drain}: reads the whole request body, then answers "NAME PROTOCOL bytes=N";
 *   <li>anything else: "NAME PROTOCOL" then the request headers it received, one per line.
 * </ul>
 */
final class TestApp implements AutoCloseable {
  private final ServerBinding binding;
  /** {@code /sleep/MS} and {@code /trickle/MS} requests that arrived. */
  final java.util.concurrent.atomic.AtomicInteger sleeping;

  private TestApp(ServerBinding binding, java.util.concurrent.atomic.AtomicInteger sleeping) {
    this.binding = binding;
    this.sleeping = sleeping;
  }

  static TestApp start(ActorSystem<?> system, String name, HostPort at) {
    java.util.concurrent.atomic.AtomicInteger flaky = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger sleeping =
        new java.util.concurrent.atomic.AtomicInteger();
    ServerSettings settings =
        ServerSettings.create(
            com.typesafe.config.ConfigFactory.parseString(
                    "pekko.http.server.enable-http2 = on\n"
                        + "pekko.http.server.preview.enable-http2 = on\n"
                        + "pekko.http.server.request-timeout = off\n"
                        + "pekko.http.server.parsing.max-header-count = 200\n")
                .withFallback(system.settings().config()));
    ServerBinding binding =
        Http.get(system)
            .newServerAt(at.host(), at.port())
            .withSettings(settings)
            .bind(
                (org.apache.pekko.japi.function.Function<
                        HttpRequest, CompletionStage<HttpResponse>>)
                    request -> {
                      String path = request.getUri().path();
                      if (path.equals("/flaky")) {
                        request.discardEntityBytes(system);
                        return CompletableFuture.completedFuture(
                            HttpResponse.create()
                                .withStatus(flaky.incrementAndGet() % 2 == 1 ? 500 : 200));
                      }
                      if (path.startsWith("/trickle/")) {
                        sleeping.incrementAndGet();
                        request.discardEntityBytes(system);
                        Source<ByteString, org.apache.pekko.NotUsed> body =
                            Source.single(ByteString.fromString("first\n"))
                                .concat(
                                    Source.single(ByteString.fromString("last\n"))
                                        .initialDelay(
                                            java.time.Duration.ofMillis(
                                                Long.parseLong(path.substring(9)))));
                        return CompletableFuture.completedFuture(
                            HttpResponse.create()
                                .withEntity(
                                    org.apache.pekko.http.javadsl.model.HttpEntities.createChunked(
                                        org.apache.pekko.http.javadsl.model.ContentTypes
                                            .TEXT_PLAIN_UTF8,
                                        body)));
                      }
                      if (path.startsWith("/sleep/")) {
                        sleeping.incrementAndGet();
                        request.discardEntityBytes(system);
                        return org.apache.pekko.pattern.Patterns.after(
                            java.time.Duration.ofMillis(Long.parseLong(path.substring(7))),
                            system.classicSystem().scheduler(),
                            system.executionContext(),
                            () -> CompletableFuture.completedFuture(HttpResponse.create()));
                      }
                      return path.equals("/drain")
                          ? drain(name, request, system)
                          : CompletableFuture.completedFuture(handle(name, request));
                    })
            .toCompletableFuture()
            .join();
    return new TestApp(binding, sleeping);
  }

  private static CompletionStage<HttpResponse> drain(
      String name, HttpRequest request, ActorSystem<?> system) {
    return request
        .entity()
        .getDataBytes()
        .runFold(0L, (n, bytes) -> n + bytes.size(), system)
        .thenApply(
            n ->
                HttpResponse.create()
                    .withEntity(
                        HttpEntities.create(
                            ContentTypes.TEXT_PLAIN_UTF8,
                            name + " " + request.protocol().value() + " bytes=" + n)));
  }

  private static HttpResponse handle(String name, HttpRequest request) {
    String path = request.getUri().path();
    if (path.equals("/grpc")) {
      Source<HttpEntity.ChunkStreamPart, ?> echoed =
          request
              .entity()
              .getDataBytes()
              .map(HttpEntity.ChunkStreamPart::create)
              .concat(
                  Source.single(
                      HttpEntity.ChunkStreamPart.createLast(
                          "",
                          List.of(
                              RawHeader.create("grpc-status", "0"),
                              RawHeader.create("grpc-message", "ok")))));
      return HttpResponse.create()
          .withEntity(
              new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(
                  (org.apache.pekko.http.scaladsl.model.ContentType) Grpc.CONTENT_TYPE,
                  ((Source) echoed).asScala()));
    }
    if (path.equals("/grpc-fail")) {
      return HttpResponse.create()
          .addHeader(RawHeader.create("grpc-status", "5"))
          .withEntity(HttpEntities.create(Grpc.CONTENT_TYPE, ByteString.emptyByteString()));
    }
    if (path.startsWith("/status/")) {
      return HttpResponse.create().withStatus(Integer.parseInt(path.substring(8)));
    }
    List<String> lines = new ArrayList<>();
    lines.add(name + " " + request.protocol().value());
    for (HttpHeader h : request.getHeaders()) {
      lines.add(h.lowercaseName() + ": " + h.value());
    }
    return HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, String.join("\n", lines)));
  }

  @Override
  public void close() {
    binding.unbind().toCompletableFuture().join();
  }
}
