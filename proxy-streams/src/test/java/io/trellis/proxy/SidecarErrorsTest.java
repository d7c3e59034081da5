package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HostPort;
import io.trellis.config.WorkloadConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the proxy answers itself, and that it says why. */
class SidecarErrorsTest extends SidecarTestKit {
  Sidecar client;
  Sidecar noApp;
  Sidecar blackholeApp;
  ServerSocket blackhole;
  final List<Socket> backlogFillers = new ArrayList<>();

  @BeforeAll
  void startMesh() throws IOException {
    mesh.service("empty", 80).service("down", 80);
    client = sidecar(mesh.workload("client"));
    // "down": its proxy runs but nothing listens on its app port.
    WorkloadConfig down = mesh.workload("down", "down");
    noApp = sidecar(down);
    // A listener that never accepts, its backlog full: connects to it hang (SYNs are dropped).
    String address = TestMesh.nextAddress();
    blackhole = new ServerSocket(8080, 1, InetAddress.getByName(address));
    for (int i = 0; i < 4; i++) {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress(address, 8080), 200);
      } catch (IOException expected) {
        // Once the queue is full further connects time out: that is the point.
      }
      backlogFillers.add(s);
    }
    WorkloadConfig slow =
        new WorkloadConfig(
            "slow",
            address,
            8080,
            List.of(),
            "slow",
            io.trellis.config.ProxyPorts.defaultsFor(TestMesh.nextAddress()));
    blackholeApp = sidecar(slow);
  }

  @AfterAll
  void closeBlackhole() throws IOException {
    for (Socket s : backlogFillers) {
      s.close();
    }
    blackhole.close();
  }

  @Test
  void noEndpointsIs504AfterFailFast() {
    long start = System.nanoTime();
    HttpResponse response = h1(client.outboundAddress(), HttpRequest.GET("http://empty/"));
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(504, response.status().intValue());
    assertEquals(
        "service empty.demo.svc.cluster.local:80: no endpoints after 500ms\n", body(response));
    assertTrue(waitedMs >= 450, "answered after " + waitedMs + "ms, before fail-fast");
  }

  @Test
  void refusedConnectionIs502NamingTheEndpoint() {
    HttpResponse response = h1(client.outboundAddress(), HttpRequest.GET("http://down/"));
    assertEquals(502, response.status().intValue());
    String app = new HostPort(mesh.current().workloads().get("down").address(), 8080).toString();
    assertEquals("endpoint " + app + ": connection refused\n", body(response));
    assertEquals(
        "endpoint " + app + ": connection refused",
        header(response, "l5d-proxy-error").orElseThrow());
  }

  @Test
  void connectTimeoutIs504() {
    HttpResponse response = h1(blackholeApp.inboundAddress(), HttpRequest.GET("http://slow/"));
    assertEquals(504, response.status().intValue());
    assertTrue(
        body(response).matches("endpoint 127\\.77\\.[0-9.]+:8080: connect timed out after 300ms\n"),
        body(response));
  }

  @Test
  void grpcCallersGetUnavailableInTrailersOnlyResponse() {
    HttpRequest call =
        HttpRequest.POST("http://down/demo.Svc/Call")
            .withEntity(HttpEntities.create(Grpc.CONTENT_TYPE, Grpc.frame("hi")));
    HttpResponse response = h2(client.outboundAddress(), call);
    assertEquals(200, response.status().intValue());
    assertEquals("14", header(response, "grpc-status").orElseThrow());
    assertTrue(header(response, "grpc-message").orElseThrow().endsWith("connection refused"));
    assertTrue(response.entity().isKnownEmpty(), "trailers-only, but got " + response.entity());
  }

  @Test
  void grpcCallersGetDeadlineExceededWhenNoEndpoints() {
    HttpRequest call =
        HttpRequest.POST("http://empty/demo.Svc/Call")
            .withEntity(HttpEntities.create(Grpc.CONTENT_TYPE, Grpc.frame("hi")));
    HttpResponse response = h2(client.outboundAddress(), call);
    assertEquals(200, response.status().intValue());
    assertEquals("4", header(response, "grpc-status").orElseThrow());
  }
}
