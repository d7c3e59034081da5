package io.trellis.actors.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.trellis.api.tap.TapEvent;
import io.trellis.api.tap.TapRequest;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ProxyPorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.WorkloadConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The control plane's tap: resources resolve or fail clearly; an unreachable proxy is a notice. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneTapTest {
  final ActorTestKit testKit = ActorTestKit.create();
  final int closedPort = closedPort();
  final MeshConfig mesh =
      new MeshConfig(
          "demo",
          Map.of("web-svc", new ServiceConfig("web-svc", 80, List.of()),
              "idle-svc", new ServiceConfig("idle-svc", 80, List.of())),
          Map.of("web", new WorkloadConfig("web", "127.0.0.1", 8080, List.of("web-svc"), "web",
              new ProxyPorts(new HostPort("127.0.0.1", 4140), new HostPort("127.0.0.1", 4143),
                  new HostPort("127.0.0.1", 4191), new HostPort("127.0.0.1", closedPort)))));
  final ControlPlaneTap tap = new ControlPlaneTap(testKit.system(), () -> mesh);

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void anUnreachableProxyIsANoticeNamingItNotAHang() {
    List<TapEvent> events = run(TapRequest.newBuilder().setResource("svc/web-svc").build());
    assertEquals(1, events.size(), events.toString());
    TapEvent notice = events.get(0);
    assertEquals(TapEvent.Kind.NOTICE, notice.getKind());
    assertEquals("web", notice.getProxy());
    assertTrue(
        notice.getMessage().startsWith("proxy deploy/web (tap 127.0.0.1:" + closedPort + "): "),
        notice.getMessage());
  }

  @Test
  void unknownResourcesAndNamespacesAreInvalidArguments() {
    assertStatus(Status.Code.INVALID_ARGUMENT, "deploy/nope: no such workload in namespace demo",
        TapRequest.newBuilder().setResource("deploy/nope").build());
    assertStatus(Status.Code.INVALID_ARGUMENT, "unknown resource type 'cronjob'",
        TapRequest.newBuilder().setResource("cronjob/x").build());
    assertStatus(Status.Code.INVALID_ARGUMENT, "namespace other: this mesh's namespace is demo",
        TapRequest.newBuilder().setResource("deploy").setNamespace("other").build());
    assertStatus(Status.Code.INVALID_ARGUMENT, "--to svc/nope: no such service",
        TapRequest.newBuilder().setResource("deploy").setTo("svc/nope").build());
    assertStatus(Status.Code.NOT_FOUND, "svc/idle-svc: no workload serves it",
        TapRequest.newBuilder().setResource("svc/idle-svc").build());
  }

  private void assertStatus(Status.Code code, String message, TapRequest request) {
    try {
      List<TapEvent> events = run(request);
      throw new AssertionError("expected " + code + ", got " + events);
    } catch (CompletionException e) {
      GrpcServiceException g = (GrpcServiceException) e.getCause();
      assertEquals(code, g.getStatus().getCode());
      assertTrue(g.getStatus().getDescription().contains(message), g.getStatus().getDescription());
    }
  }

  private List<TapEvent> run(TapRequest request) {
    return tap.observe(request)
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture()
        .orTimeout(30, TimeUnit.SECONDS)
        .join();
  }

  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
