package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.trellis.tests.clients.Curl;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hop-by-hop headers (RFC 9110 7.6.1: Connection and the headers it names, Keep-Alive,
 * Proxy-Connection, TE, Upgrade when not upgrading) never cross a proxy, in either direction;
 * end-to-end headers do.
 */
class HopByHopHeadersTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static final List<String> HOP_BY_HOP =
      List.of("keep-alive", "proxy-connection", "te", "upgrade", "x-hop-named");

  @TempDir Path work;
  private Target echo;

  @BeforeEach
  void setUp() {
    mesh.requireProxies();
    echo = mesh.target("client", MeshFixture.SERVICE);
  }

  @Test
  void requestHopByHopHeadersDoNotReachTheApp() {
    Curl.Response r =
        Curl.http1(work)
            .get(
                echo, "/headers",
                "-H", "Connection: X-Hop-Named",
                "-H", "X-Hop-Named: named in Connection",
                "-H", "Keep-Alive: timeout=5",
                "-H", "Proxy-Connection: keep-alive",
                "-H", "TE: gzip",
                "-H", "Upgrade: example/1",
                "-H", "X-End-To-End: kept");
    assertEquals(200, r.status(), r.run()::describe);
    List<String> received = r.body().lines().toList();
    for (String hop : HOP_BY_HOP) {
      assertFalse(
          received.stream().anyMatch(l -> l.startsWith(hop + ":")),
          () -> hop + " reached the app:\n" + r.body());
    }
    assertFalse(
        received.stream()
            .anyMatch(l -> l.startsWith("connection:") && l.toLowerCase(Locale.ROOT).contains("x-hop-named")),
        () -> "the client's Connection header reached the app:\n" + r.body());
    assertEquals(1, received.stream().filter(l -> l.equals("x-end-to-end: kept")).count(), r.body());
  }

  @Test
  void responseHopByHopHeadersDoNotReachTheClient() {
    Curl.Response r = Curl.http1(work).get(echo, "/hop-by-hop");
    assertEquals(200, r.status(), r.run()::describe);
    // The app sends Keep-Alive, Proxy-Connection, TE and Upgrade (see Backend /hop-by-hop).
    for (String hop : List.of("keep-alive", "proxy-connection", "te", "upgrade")) {
      assertNull(r.header(hop), () -> hop + " reached the client: " + r.headers());
    }
    assertEquals("kept", r.header("x-end-to-end"));
  }

  @Test
  void http2RequestsCarryNoConnectionSpecificHeadersToTheApp() {
    // HTTP/2 forbids connection-specific headers (RFC 9113 8.2.2), so the client sends only
    // end-to-end ones; the proxies must not invent hop-by-hop headers on the way to the app.
    Curl.Response r = Curl.http2PriorKnowledge(work).get(echo, "/headers", "-H", "X-End-To-End: kept");
    assertEquals(200, r.status(), r.run()::describe);
    List<String> received = r.body().lines().toList();
    for (String hop : HOP_BY_HOP) {
      assertFalse(received.stream().anyMatch(l -> l.startsWith(hop + ":")), () -> hop + ":\n" + r.body());
    }
    assertEquals(1, received.stream().filter(l -> l.equals("x-end-to-end: kept")).count(), r.body());
  }
}
