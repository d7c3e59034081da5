package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.actors.metrics.Json;
import io.trellis.tests.mesh.Cli;
import io.trellis.tests.mesh.ControlPlaneProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.FreePorts;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code trellis stat}, {@code edges} end to end over a real mesh: a client calls echo-svc on
 * server at a steady pace, and every fourth request is answered 500, so the server's success rate
 * must read 75%. The numbers come from the control plane's metrics API; subclasses choose its
 * source (Prometheus or the rolling windows) through the {@code trellis.metrics} block.
 */
abstract class StatScenario {
  /** Requests per second the client sends; one in {@link #FAIL_EVERY} fails. */
  private static final int RATE = 25;
  private static final int FAIL_EVERY = 4;
  private static final double TOLERANCE = 0.07;

  abstract MeshFixture mesh();

  /** The {@code trellis.metrics { .. }} lines of the control plane's mesh.conf. */
  abstract String metricsBlock();

  /** Where the numbers should come from, as the API reports it. */
  abstract String expectedSource();

  @org.junit.jupiter.api.Test
  void statAndEdgesShowTheTrafficWithItsFailureRatio() throws Exception {
    MeshFixture mesh = mesh();
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server"));

    String cp = startControlPlane(mesh);
    AtomicLong sent = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Thread traffic = new Thread(() -> send(echo, sent, failed, stop), "stat-traffic");
    traffic.start();
    try {
      // The server's row: 75% success, some rps, latencies (numbers settle as windows fill).
      Map<String, Object>[] server = new Map[1];
      Cli.Result[] last = new Cli.Result[1];
      Deadline.in(Duration.ofSeconds(90)).await(
          "stat deploy shows server at " + (100 - 100 / FAIL_EVERY) + "% success",
          () -> {
            last[0] = Cli.run("stat", "deploy", "-o", "json", "--control-plane", cp);
            if (last[0].exitCode() != 0) {
              return false;
            }
            server[0] = row(last[0].out(), "server");
            Object success = server[0] == null ? null : server[0].get("success");
            return success != null
                && Math.abs((Double) success - 0.75) <= TOLERANCE;
          },
          () -> "sent " + sent + " (" + failed + " failed)\n" + last[0]);
      System.out.println("stat deploy -o json:\n" + last[0].out());
      assertTrue((Double) server[0].get("rps") > 0, () -> "rps of " + server[0]);
      for (String p : List.of("latency_ms_p50", "latency_ms_p95", "latency_ms_p99")) {
        assertNotNull(server[0].get(p), () -> p + " of " + server[0]);
      }
      assertEquals("1/1", server[0].get("meshed"));
      assertTrue((Double) server[0].get("tcp_open_connections") >= 1,
          () -> "the client proxy's connections to the server: " + server[0]);
      Map<String, Object> client = row(last[0].out(), "client");
      assertNotNull(client, last[0]::toString);
      assertNull(client.get("success"), () -> "nobody calls client: " + client);
      assertEquals("1/1", client.get("meshed"));

      // The same as a table, numbers masked.
      Cli.Result table = Cli.run("stat", "deploy", "--control-plane", cp);
      assertEquals(0, table.exitCode(), table::toString);
      assertGolden("stat-deploy.golden", table.out());

      // The client's side: svc and --from show the same ratio from its outbound series.
      Cli.Result svc = Cli.run("stat", "svc", MeshFixture.SERVICE, "-o", "json",
          "--control-plane", cp);
      Map<String, Object> svcRow = row(svc.out(), MeshFixture.SERVICE);
      assertNotNull(svcRow, svc::toString);
      assertNotNull(svcRow.get("success"), svc::toString);
      assertTrue(Math.abs((Double) svcRow.get("success") - 0.75) <= TOLERANCE, svc::toString);
      Cli.Result from = Cli.run("stat", "deploy", "--from", "deploy/client", "-o", "json",
          "--control-plane", cp);
      Map<String, Object> fromRow = row(from.out(), "server");
      assertNotNull(fromRow, from::toString);
      assertTrue((Double) fromRow.get("rps") > 0, from::toString);

      // The edge client -> server, not secured (no mTLS yet).
      Cli.Result edges = Cli.run("edges", "deploy", "-o", "json", "--control-plane", cp);
      assertEquals(0, edges.exitCode(), edges::toString);
      List<Object> all = (List<Object>) Json.parse(edges.out());
      assertEquals(1, all.size(), edges::toString);
      Map<String, Object> edge = (Map<String, Object>) all.get(0);
      assertEquals("client", edge.get("src"), edges::toString);
      assertEquals("server", edge.get("dst"), edges::toString);
      assertEquals(Boolean.FALSE, edge.get("secured"), edges::toString);
      Cli.Result edgeTable = Cli.run("edges", "deploy", "--control-plane", cp);
      assertGolden("edges-deploy.golden", edgeTable.out());

      // A bad window is a usage error that says why.
      Cli.Result bad = Cli.run("stat", "deploy", "-t", "1y", "--control-plane", cp);
      assertEquals(2, bad.exitCode(), bad::toString);
      assertTrue(bad.err().contains("-t 1y"), bad::toString);
    } finally {
      stop.set(true);
      traffic.join(TimeUnit.SECONDS.toMillis(30));
    }
    System.out.println("sent " + sent + " requests, " + failed + " answered 500");
  }

  /** A control plane on free ports whose mesh.conf adds {@link #metricsBlock()}. */
  private String startControlPlane(MeshFixture mesh) throws IOException {
    List<Integer> ports = FreePorts.on("127.0.0.1", 2);
    String dest = "127.0.0.1:" + ports.get(0);
    Path conf = mesh.config().resolveSibling("stat-control-plane.conf");
    Files.writeString(conf, Files.readString(mesh.config()) + "\n" + metricsBlock() + "\n");
    ControlPlaneProcess node = ControlPlaneProcess.start(conf, "control-plane", dest,
        "127.0.0.1:" + ports.get(1), mesh.logDir());
    closeAfter(node);
    node.awaitLogged("control plane ready: destination API on", Duration.ofSeconds(60));
    node.awaitLogged("metrics API: numbers from " + expectedSource(), Duration.ofSeconds(10));
    return dest;
  }

  abstract void closeAfter(AutoCloseable resource);

  private static void send(Target echo, AtomicLong sent, AtomicLong failed, AtomicBoolean stop) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long interval = TimeUnit.SECONDS.toNanos(1) / RATE;
    long next = System.nanoTime();
    Deadline deadline = Deadline.in(Duration.ofMinutes(5));
    for (long i = 0; !stop.get() && !deadline.passed(); i++) {
      String path = i % FAIL_EVERY == FAIL_EVERY - 1 ? "/status/500" : "/whoami";
      try {
        HttpResponse<Void> r = http.send(
            HttpRequest.newBuilder(echo.uri(path)).header("Host", echo.authority())
                .timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() != 200) {
          failed.incrementAndGet();
        }
      } catch (IOException e) {
        failed.incrementAndGet();
      } catch (InterruptedException e) {
        return;
      }
      sent.incrementAndGet();
      next += interval;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait); // pacing the load, not waiting for state
      } else {
        next = System.nanoTime();
      }
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> row(String json, String name) {
    for (Object o : (List<Object>) Json.parse(json)) {
      Map<String, Object> m = (Map<String, Object>) o;
      if (name.equals(m.get("name"))) {
        return m;
      }
    }
    return null;
  }

  /** Compares a table with a golden file, numbers masked and runs of spaces collapsed. */
  static void assertGolden(String golden, String actual) throws IOException {
    String expected;
    try (InputStream in = StatScenario.class.getResourceAsStream("/golden/" + golden)) {
      assertNotNull(in, "golden file " + golden);
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(mask(expected), mask(actual), () -> "table:\n" + actual);
  }

  static String mask(String table) {
    return table.lines()
        .map(l -> l.replaceAll("\\d+\\.\\d+%", "N%").replaceAll("\\d+\\.\\drps", "Nrps")
            .replaceAll("\\b\\d+ms\\b", "Nms").replaceAll("(?<=\\s)\\d+$", "N").trim()
            .replaceAll("\\s+", " "))
        .reduce("", (a, b) -> a + b + "\n");
  }
}
