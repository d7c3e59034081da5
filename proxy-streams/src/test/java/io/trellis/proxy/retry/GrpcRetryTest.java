package io.trellis.proxy.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.ServiceProfile;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.metrics.RouteMetrics;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * gRPC on a retryable route: a trailers-only failure (grpc-status in the headers) is retried; a
 * streamed answer, whose status comes in the trailers, is passed on and never retried.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcRetryTest {
  static final org.apache.pekko.http.javadsl.model.ContentType GRPC =
      ContentTypes.parse("application/grpc");
  final ActorTestKit kit = ActorTestKit.create("GrpcRetryTest");
  final Materializer materializer = Materializer.matFromSystem(kit.system());

  int attempts(Upstream.Script script) throws Exception {
    Upstream upstream = new Upstream(materializer, script);
    Exchange exchange =
        new Exchange(Direction.OUTBOUND, System.nanoTime(), Upstream.SERVICE.authority(), true);
    exchange.service(Upstream.SERVICE);
    exchange.route(Upstream.retryableRoute(ServiceProfile.RetryBudget.DEFAULT, null));
    HttpResponse r =
        Retries.budgeted(new RouteMetrics(), materializer, System::nanoTime, 65536)
            .wrap(upstream)
            .serve(
                HttpRequest.POST("http://web-svc/api.Svc/Call")
                    .withEntity(HttpEntities.create(GRPC, ByteString.fromString("msg"))),
                exchange)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    r.discardEntityBytes(materializer);
    return upstream.attempts();
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void trailersOnlyFailureIsRetried() throws Exception {
    assertEquals(
        2,
        attempts(
            (n, body) ->
                CompletableFuture.completedFuture(
                    HttpResponse.create()
                        .addHeader(RawHeader.create("grpc-status", n == 1 ? "14" : "0"))
                        .withEntity(HttpEntities.create(GRPC, ByteString.emptyByteString())))));
  }

  @Test
  void streamedAnswerIsPassedOnWhateverItsTrailersSay() throws Exception {
    for (String status : List.of("0", "14")) {
      assertEquals(
          1,
          attempts(
              (n, body) ->
                  CompletableFuture.completedFuture(
                      HttpResponse.create()
                          .withEntity(streamed(status)))),
          status);
    }
  }

  /** A gRPC answer streamed as chunks, its status in the trailers. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static HttpEntity.Chunked streamed(String status) {
    Source parts =
        Source.from(
            List.of(
                HttpEntity.ChunkStreamPart.create(ByteString.fromString("reply")),
                HttpEntity.ChunkStreamPart.createLast(
                    "", List.of(RawHeader.create("grpc-status", status)))));
    return new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(
        (org.apache.pekko.http.scaladsl.model.ContentType) GRPC, parts.asScala());
  }
}
