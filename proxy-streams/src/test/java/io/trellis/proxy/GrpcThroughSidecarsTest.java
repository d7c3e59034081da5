package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC-shaped HTTP/2 exchanges through client outbound, server inbound, to the app: streaming both
 * ways at once, and the response trailers (grpc-status) arriving intact.
 */
class GrpcThroughSidecarsTest extends SidecarTestKit {
  Sidecar client;

  @BeforeAll
  void startMesh() {
    mesh.service("echo", 8080);
    client = sidecar(mesh.workload("client"));
    WorkloadConfig echo = mesh.workload("echo", "echo");
    sidecar(echo);
    app(echo);
  }

  @Test
  void unaryCallKeepsTrailers() {
    HttpRequest call =
        HttpRequest.POST("http://echo:8080/grpc")
            .withEntity(
                org.apache.pekko.http.javadsl.model.HttpEntities.create(
                    Grpc.CONTENT_TYPE, Grpc.frame("ping")));
    HttpResponse response = h2(client.outboundAddress(), call);
    assertEquals(200, response.status().intValue());
    assertTrue(response.entity() instanceof HttpEntity.Chunked, "streamed with trailers");
    List<HttpEntity.ChunkStreamPart> parts =
        ((HttpEntity.Chunked) response.entity())
            .getChunks()
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .orTimeout(AWAIT.toMillis(), TimeUnit.MILLISECONDS)
            .join();
    ByteString data = ByteString.emptyByteString();
    List<HttpHeader> trailers = new ArrayList<>();
    for (HttpEntity.ChunkStreamPart p : parts) {
      data = data.concat(p.data());
      if (p.isLastChunk()) {
        p.getTrailerHeaders().forEach(trailers::add);
      }
    }
    assertEquals(Grpc.frame("ping"), data);
    assertEquals("0", value(trailers, "grpc-status"));
    assertEquals("ok", value(trailers, "grpc-message"));
  }

  @Test
  void bidiStreamingIsFullDuplex() {
    // The request body stays open while responses come back: each message is answered before
    // the next is sent, which only works if no hop buffers either direction.
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, org.apache.pekko.NotUsed>> requestBody =
        Source.<ByteString>queue(8).preMaterialize(system);
    HttpRequest call =
        HttpRequest.POST("http://echo:8080/grpc")
            .withEntity(
                org.apache.pekko.http.javadsl.model.HttpEntities.createChunked(
                    Grpc.CONTENT_TYPE, requestBody.second()));
    HttpResponse response = h2(client.outboundAddress(), call);
    TestSubscriber.Probe<HttpEntity.ChunkStreamPart> replies =
        ((HttpEntity.Chunked) response.entity())
            .getChunks()
            .runWith(TestSink.create(system), system);
    replies.ensureSubscription();
    for (String message : List.of("one", "two", "three")) {
      requestBody.first().offer(Grpc.frame(message));
      ByteString echoed = ByteString.emptyByteString();
      while (echoed.size() < Grpc.frame(message).size()) {
        replies.request(1);
        echoed = echoed.concat(replies.expectNext(java.time.Duration.ofSeconds(5)).data());
      }
      assertEquals(Grpc.frame(message), echoed);
    }
    requestBody.first().complete();
    replies.request(1);
    HttpEntity.ChunkStreamPart last = replies.expectNext(java.time.Duration.ofSeconds(5));
    assertTrue(last.isLastChunk());
    List<HttpHeader> trailers = new ArrayList<>();
    last.getTrailerHeaders().forEach(trailers::add);
    assertEquals("0", value(trailers, "grpc-status"));
    replies.request(1);
    replies.expectComplete();
  }

  @Test
  void trailersOnlyStatusPassesThrough() {
    HttpRequest call =
        HttpRequest.POST("http://echo:8080/grpc-fail")
            .withEntity(
                org.apache.pekko.http.javadsl.model.HttpEntities.create(
                    Grpc.CONTENT_TYPE, Grpc.frame("x")));
    HttpResponse response = h2(client.outboundAddress(), call);
    assertEquals(200, response.status().intValue());
    assertEquals("5", header(response, "grpc-status").orElseThrow());
  }

  private static String value(List<HttpHeader> headers, String name) {
    return headers.stream()
        .filter(h -> h.is(name))
        .map(HttpHeader::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in " + headers));
  }
}
