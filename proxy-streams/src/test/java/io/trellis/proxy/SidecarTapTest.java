package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.api.tap.TapEvent;
import io.trellis.config.WorkloadConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tap stage through real sidecars, read over the proxies' own tap ports with a gRPC client:
 * req, rsp and end for an HTTP/1.1 request and for gRPC calls (status from the trailers, and from
 * a trailers-only response), and never a byte of a body.
 */
class SidecarTapTest extends SidecarTestKit {
  static final String SECRET = "top-secret-body-bytes";
  Sidecar client;
  Sidecar server;
  WorkloadConfig echo;

  @BeforeAll
  void startMesh() {
    mesh.service("echo", 8080);
    client = sidecar(mesh.workload("client"));
    echo = mesh.workload("echo", "echo");
    server = sidecar(echo);
    app(echo);
  }

  @Test
  void http1RequestIsTappedOnBothSidesWithoutItsBody() {
    HttpResponse response =
        h1(
            client.outboundAddress(),
            HttpRequest.POST("http://echo:8080/tap/h1?q=1")
                .withEntity(HttpEntities.create(SECRET)));
    assertEquals(200, response.status().intValue());
    int length = body(response).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;

    List<TapEvent> out = tap(client.tapAddress(), "/tap/h1", 3);
    assertKinds(out);
    TapEvent req = out.get(0);
    assertEquals("out", req.getProxyDirection());
    assertEquals("POST", req.getMethod());
    assertEquals("echo:8080", req.getAuthority());
    assertEquals("/tap/h1", req.getPath());
    assertEquals("disabled", req.getTls());
    assertEquals(server.inboundAddress().getHostString() + ":" + server.inboundAddress().getPort(),
        req.getDst());
    assertTrue(req.getSrc().matches("\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+"), req.getSrc());
    assertTrue(out.get(1).getLatencyUs() > 0);
    assertEquals(200, out.get(1).getStatus());
    TapEvent end = out.get(2);
    assertEquals(length, end.getResponseBytes());
    assertEquals("", end.getError());
    assertEquals("", end.getGrpcStatus());
    assertTrue(out.stream().allMatch(e -> e.getId().equals(req.getId())));

    List<TapEvent> in = tap(server.tapAddress(), "/tap/h1", 3);
    assertKinds(in);
    assertEquals("in", in.get(0).getProxyDirection());
    assertEquals(echo.app().toString(), in.get(0).getDst());

    for (TapEvent e : concat(out, in)) {
      assertFalse(e.toString().contains(SECRET), "a body in " + e);
    }
  }

  @Test
  void grpcCallsCarryTheirStatusFromTrailers() {
    HttpResponse ok =
        h2(
            client.outboundAddress(),
            HttpRequest.POST("http://echo:8080/grpc")
                .withEntity(HttpEntities.create(Grpc.CONTENT_TYPE, Grpc.frame(SECRET))));
    ByteString echoed =
        ok.entity().getDataBytes().runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), system)
            .toCompletableFuture().orTimeout(AWAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    List<TapEvent> call = tap(client.tapAddress(), "/grpc", 3);
    assertKinds(call);
    assertEquals("", call.get(1).getGrpcStatus(), "not in the headers");
    assertEquals("0", call.get(2).getGrpcStatus(), "from the trailers");
    assertEquals(echoed.size(), call.get(2).getResponseBytes());

    HttpResponse failed =
        h2(
            client.outboundAddress(),
            HttpRequest.POST("http://echo:8080/grpc-fail")
                .withEntity(HttpEntities.create(Grpc.CONTENT_TYPE, Grpc.frame("x"))));
    assertEquals(200, failed.status().intValue());
    List<TapEvent> fail = tap(client.tapAddress(), "/grpc-fail", 3);
    assertKinds(fail);
    assertEquals("5", fail.get(1).getGrpcStatus(), "trailers-only: in the headers");
    assertEquals("5", fail.get(2).getGrpcStatus());
    for (TapEvent e : concat(call, fail)) {
      assertFalse(e.toString().contains(SECRET), "a body in " + e);
    }
  }

  /** The first {@code n} events of requests under {@code path}, from the proxy's history on. */
  private static void assertKinds(List<TapEvent> events) {
    assertEquals(
        List.of(TapEvent.Kind.REQ, TapEvent.Kind.RSP, TapEvent.Kind.END),
        events.stream().map(TapEvent::getKind).toList(),
        events.toString());
  }

  private static List<TapEvent> concat(List<TapEvent> a, List<TapEvent> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
