package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The mesh changes under a running proxy: new requests follow the new endpoints at once, and a
 * stream already in flight to a removed endpoint finishes on its connection.
 */
class MeshEditWhileRunningTest extends SidecarTestKit {

  @Test
  void newRequestsFollowTheEditInFlightStreamsFinish() throws InterruptedException {
    mesh.service("svc", 8080);
    Sidecar client = sidecar(mesh.workload("edit-client"));
    WorkloadConfig before = mesh.workload("before", "svc");
    sidecar(before);
    app(before);

    // A streaming call to "before", kept open across the edit.
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> requestBody =
        Source.<ByteString>queue(8).preMaterialize(system);
    HttpResponse streaming =
        h2(
            client.outboundAddress(),
            HttpRequest.POST("http://svc:8080/grpc")
                .withEntity(HttpEntities.createChunked(Grpc.CONTENT_TYPE, requestBody.second())));
    TestSubscriber.Probe<HttpEntity.ChunkStreamPart> replies =
        ((HttpEntity.Chunked) streaming.entity())
            .getChunks()
            .runWith(TestSink.create(system), system);
    requestBody.first().offer(Grpc.frame("before the edit"));
    replies.request(1);
    assertEquals(Grpc.frame("before the edit"), replies.expectNext(Duration.ofSeconds(5)).data());

    // The edit: "before" stops serving svc, "after" starts.
    WorkloadConfig after = mesh.workload("after", "svc");
    sidecar(after);
    app(after);
    mesh.remove("before");

    String answeredBy =
        await(
            "a request served by the new endpoint",
            () -> {
              String body = body(h1(client.outboundAddress(), HttpRequest.GET("http://svc:8080/")));
              return body.startsWith("after ") ? Optional.of(body) : Optional.empty();
            });
    assertTrue(answeredBy.startsWith("after HTTP/1.1"));

    // The stream to the removed endpoint is untouched.
    requestBody.first().offer(Grpc.frame("after the edit"));
    replies.request(1);
    assertEquals(Grpc.frame("after the edit"), replies.expectNext(Duration.ofSeconds(5)).data());
    requestBody.first().complete();
    replies.request(2);
    HttpEntity.ChunkStreamPart last = replies.expectNext(Duration.ofSeconds(5));
    assertTrue(last.isLastChunk());
    replies.expectComplete();
  }
}
