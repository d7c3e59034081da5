package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.trellis.tests.backend.EchoService;
import io.trellis.tests.grpc.EchoClient;
import io.trellis.tests.grpc.EchoReply;
import io.trellis.tests.grpc.EchoRequest;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.GrpcSingleResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A pekko-grpc client and server (grpc-java's Netty transport on the client side) talking
 * through both proxies: all four call kinds, messages larger than one frame, and non-OK statuses
 * whose custom trailing metadata must arrive intact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcThroughMeshTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static final Duration WAIT = Duration.ofSeconds(30);

  private EchoClient client;
  private Materializer mat;

  @BeforeAll
  void connect() {
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    GrpcClientSettings settings =
        GrpcClientSettings.connectToServiceAt(echo.host(), echo.port(), mesh.system())
            .withTls(false)
            // :authority names the service; the connection goes to the outbound proxy.
            .withOverrideAuthority(echo.authority() + ":80")
            .withDeadline(WAIT);
    client = EchoClient.create(settings, mesh.system());
    mat = Materializer.matFromSystem(mesh.system());
  }

  @AfterAll
  void disconnect() {
    if (client != null) {
      client.close().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
  }

  @Test
  void unaryCallCarriesAPayloadLargerThanAFrame() throws Exception {
    ByteString payload = ByteString.copyFrom(new byte[100 * 1024]);
    GrpcSingleResponse<EchoReply> r =
        await(client.unary().invokeWithMetadata(request("ping").setPayload(payload).build()));
    assertEquals("ping from server", r.value().getText());
    assertEquals(payload, r.value().getPayload());
    assertNotNull(await(r.getTrailers()), "trailers of an OK call");
  }

  @Test
  void unaryFailureKeepsStatusDescriptionAndTrailers() {
    EchoRequest failing = request("boom").setFailWith(Status.Code.FAILED_PRECONDITION.value()).build();
    Failure f = failureOf(() -> await(client.unary(failing)));
    assertEquals(Status.Code.FAILED_PRECONDITION, f.status().getCode());
    assertEquals("asked to fail: boom", f.status().getDescription());
    assertEquals(Optional.of("requested 9"), f.trailer(EchoService.REASON_TRAILER));
  }

  @Test
  void clientStreamingCollectsEveryMessage() throws Exception {
    List<EchoRequest> requests = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      requests.add(request(Integer.toString(i % 10)).build());
    }
    EchoReply r = await(client.collect(Source.from(requests)));
    assertEquals(50, r.getIndex());
    assertEquals("0123456789".repeat(5), r.getText());
  }

  @Test
  void serverStreamingDeliversEveryReplyInOrder() throws Exception {
    List<EchoReply> replies =
        await(client.repeat(request("tick").setCount(200).build()).runWith(Sink.seq(), mat));
    assertEquals(200, replies.size());
    for (int i = 0; i < replies.size(); i++) {
      assertEquals(i, replies.get(i).getIndex());
    }
  }

  @Test
  void serverStreamingFailureArrivesAfterTheRepliesWithItsTrailers() {
    List<EchoReply> seen = new ArrayList<>();
    EchoRequest failing =
        request("late").setCount(5).setFailWith(Status.Code.RESOURCE_EXHAUSTED.value()).build();
    Failure f =
        failureOf(() -> await(client.repeat(failing).runForeach(seen::add, mat)));
    assertEquals(5, seen.size(), "replies before the failure");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, f.status().getCode());
    assertEquals(Optional.of("requested 8"), f.trailer(EchoService.REASON_TRAILER));
  }

  @Test
  void bidiStreamingAnswersEachMessageBeforeTheNextIsSent() throws Exception {
    // Ping-pong: reply n must arrive while the request stream is still open, so neither proxy
    // may hold messages back until the stream ends.
    Pair<BoundedSourceQueue<EchoRequest>, Source<EchoRequest, NotUsed>> requests =
        Source.<EchoRequest>queue(8).preMaterialize(mat);
    SinkQueueWithCancel<EchoReply> replies =
        client.chat(requests.second()).runWith(Sink.queue(), mat);
    for (int i = 0; i < 10; i++) {
      requests.first().offer(request("turn " + i).build());
      Optional<EchoReply> reply = await(replies.pull());
      assertTrue(reply.isPresent(), "reply " + i);
      assertEquals(i, reply.get().getIndex());
      assertEquals("turn " + i + " from server", reply.get().getText());
    }
    requests.first().complete();
    assertEquals(Optional.empty(), await(replies.pull()), "stream ends after the requests do");
  }

  @Test
  void bidiStreamingFailureCarriesTrailers() {
    Source<EchoRequest, NotUsed> requests =
        Source.from(
            List.of(
                request("a").build(),
                request("b").setFailWith(Status.Code.ABORTED.value()).build()));
    Failure f = failureOf(() -> await(client.chat(requests).runWith(Sink.seq(), mat)));
    assertEquals(Status.Code.ABORTED, f.status().getCode());
    assertEquals(Optional.of("requested 10"), f.trailer(EchoService.REASON_TRAILER));
  }

  private static EchoRequest.Builder request(String text) {
    return EchoRequest.newBuilder().setText(text);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /** A call's non-OK status and its trailing metadata, whichever client transport raised it. */
  private record Failure(Status status, Metadata trailers, org.apache.pekko.grpc.javadsl.Metadata pekkoTrailers) {
    Optional<String> trailer(String key) {
      if (pekkoTrailers != null && pekkoTrailers.getText(key).isPresent()) {
        return pekkoTrailers.getText(key);
      }
      return trailers == null
          ? Optional.empty()
          : Optional.ofNullable(trailers.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)));
    }
  }

  private interface Call {
    void run() throws Exception;
  }

  private static Failure failureOf(Call call) {
    Exception e = assertThrows(Exception.class, call::run);
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    assertTrue(t instanceof StatusRuntimeException, () -> "expected a gRPC status, got " + t);
    StatusRuntimeException sre = (StatusRuntimeException) t;
    return new Failure(
        sre.getStatus(),
        sre.getTrailers(),
        sre instanceof GrpcServiceException gse ? gse.getMetadata() : null);
  }
}
