package io.trellis.actors.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ProxyPorts;
import io.trellis.config.WorkloadConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The scraper against a real HTTP /metrics and a port nobody listens on: it keeps the families
 * stat reads from every scrape, marks the silent proxy unreachable, and goes on.
 */
class ScraperTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static WorkloadConfig workload(String name, int adminPort) {
    HostPort admin = new HostPort("127.0.0.1", adminPort);
    return new WorkloadConfig(name, "127.0.0.1", 8080, List.of(), name,
        new ProxyPorts(new HostPort("127.0.0.1", 4140), new HostPort("127.0.0.1", 4143), admin));
  }

  @Test
  void scrapesEveryProxyKeepsWhatStatReadsAndMarksTheSilentOne() throws Exception {
    AtomicInteger scrapes = new AtomicInteger();
    HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    proxy.createContext("/metrics", exchange -> {
      int n = scrapes.incrementAndGet();
      byte[] body = ("# TYPE response_total counter\n"
          + "response_total{direction=\"inbound\",classification=\"success\"} " + 10 * n + "\n"
          + "jvm_threads{kind=\"daemon\"} 12\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    proxy.start();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    MeshConfig mesh = new MeshConfig("ns", Map.of(), Map.of(
        "web", workload("web", proxy.getAddress().getPort()),
        "gone", workload("gone", closedPort)));
    MetricsSettings settings = new MetricsSettings(
        null, Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(1),
        Duration.ofSeconds(1), 100);
    AtomicReference<RollingWindows.Snapshot> published =
        new AtomicReference<>(RollingWindows.Snapshot.EMPTY);
    var scraper = testKit.spawn(Scraper.create(() -> mesh, settings, published));
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!ready(published.get()) && System.nanoTime() < deadline) {
        Thread.sleep(20); // polling the published snapshot, not waiting for time to pass
      }
      RollingWindows.Snapshot snap = published.get();
      assertTrue(ready(snap), () -> "snapshot: " + snap);
      RollingWindows.Target web = snap.targets().get("web");
      assertTrue(web.up());
      // retention 1 s at 100 ms: at most 12 scrapes kept, however many were made
      assertTrue(web.scrapes().size() <= settings.scrapesKept(), () -> "kept " + web.scrapes());
      for (RollingWindows.Scrape s : web.scrapes()) {
        assertEquals(1, s.values().size(), () -> "only response_total is kept: " + s);
      }
      RollingWindows.Target gone = snap.targets().get("gone");
      assertNotNull(gone.error());
      assertTrue(gone.error().contains(Integer.toString(closedPort)), gone.error());
      var up = new RollingWindows(published::get).proxiesUp("ns").toCompletableFuture().get();
      assertEquals(Map.of("web", 1, "gone", 0), up);
    } finally {
      testKit.stop(scraper);
      proxy.stop(0);
    }
  }

  private static boolean ready(RollingWindows.Snapshot s) {
    RollingWindows.Target web = s.targets().get("web");
    RollingWindows.Target gone = s.targets().get("gone");
    return web != null && web.scrapes().size() >= 3 && gone != null && gone.error() != null;
  }
}
