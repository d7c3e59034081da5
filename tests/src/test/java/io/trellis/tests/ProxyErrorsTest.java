package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.clients.Curl;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the outbound proxy answers itself when a service cannot be reached: 502 when the
 * endpoint refuses the connection, 504 when connecting times out, 504 when the service has no
 * endpoints at all; each with a short text body naming the cause.
 */
class ProxyErrorsTest {
  private static final int BLACKHOLE_PORT = 8081;

  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(
          MeshFixture.clientAndServer()
              // Spare address 1: nothing listens there, so connecting is refused.
              .service("refused-svc", spare -> List.of(spare.apply(1) + ":9"))
              // Spare address 2: a listener whose accept queue is full, so SYNs go unanswered.
              .service("blackhole-svc", spare -> List.of(spare.apply(2) + ":" + BLACKHOLE_PORT))
              .service("empty-svc"));

  private static ServerSocket blackhole;
  private static final List<Socket> backlogFillers = new ArrayList<>();

  @TempDir Path work;

  @BeforeAll
  static void fillABacklog() throws IOException {
    mesh.requireProxies();
    InetAddress address = InetAddress.getByName(mesh.spareAddress(2));
    // Backlog 1 and never accepting: Linux queues two connections, then drops further SYNs on
    // the floor (tcp_abort_on_overflow=0), so a connect just hangs, as to a dead host.
    blackhole = new ServerSocket(BLACKHOLE_PORT, 1, address);
    for (int i = 0; i < 2; i++) {
      Socket s = new Socket();
      s.connect(new InetSocketAddress(address, BLACKHOLE_PORT), 1000);
      backlogFillers.add(s);
    }
    Socket probe = new Socket();
    try {
      probe.connect(new InetSocketAddress(address, BLACKHOLE_PORT), 300);
      throw new IllegalStateException("the blackhole accepted a connection: its backlog is not full");
    } catch (java.net.SocketTimeoutException expected) {
      // Good: connecting now times out.
    } finally {
      probe.close();
    }
  }

  @AfterAll
  static void closeBlackhole() throws IOException {
    for (Socket s : backlogFillers) {
      s.close();
    }
    if (blackhole != null) {
      blackhole.close();
    }
  }

  @Test
  void refusedConnectionIs502() {
    Curl.Response r = call("refused-svc");
    assertEquals(502, r.status(), r.run()::describe);
    assertNames(r, "refused");
  }

  @Test
  void connectTimeoutIs504() {
    Curl.Response r = call("blackhole-svc");
    assertEquals(504, r.status(), r.run()::describe);
    assertNames(r, "time");
  }

  @Test
  void noEndpointsIs504() {
    Curl.Response r = call("empty-svc");
    assertEquals(504, r.status(), r.run()::describe);
    assertNames(r, "endpoint");
  }

  @Test
  void aHealthyServiceStillAnswersBesideTheBrokenOnes() {
    Curl.Response r = call(MeshFixture.SERVICE, "/whoami");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("server", r.body());
  }

  private Curl.Response call(String service) {
    return call(service, "/anything");
  }

  private Curl.Response call(String service, String path) {
    Target target = mesh.target("client", service);
    return Curl.http1(work).get(target, path);
  }

  private static void assertNames(Curl.Response r, String cause) {
    String body = r.body().toLowerCase(Locale.ROOT);
    assertTrue(!body.isBlank() && body.length() < 1024, () -> "a short body: " + r.body());
    assertTrue(body.contains(cause), () -> "the body names the cause (" + cause + "): " + r.body());
    // Linkerd also names the error in a header, so clients can tell it from the app's own 5xx.
    assertTrue(r.header("l5d-proxy-error") != null, () -> "l5d-proxy-error header: " + r.headers());
  }
}
