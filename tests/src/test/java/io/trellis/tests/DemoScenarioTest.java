package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trellis demo} end to end, as a user runs it: the command in its own JVM starts a
 * control plane, the proxies (meshed through it: {@code trellis check --proxy} passes) and the apps, vote-bot's traffic and its deliberate failure show up in the proxies'
 * metrics within 60 s, and SIGTERM (what Ctrl-C amounts to for the command) leaves no process
 * behind.
 *
 * <p>It runs on a private copy of demo/mesh.conf moved to a free 127.0.Y.0/24 block, so a
 * developer's own {@code ./trellis demo} on 127.0.10.x is undisturbed.
 */
class DemoScenarioTest {
  private static final Duration READY_WITHIN = Duration.ofSeconds(60);
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .build();

  @TempDir Path dir;

  @Test
  void demoComesUpMeshedShowsTheFailureAndStopsEverything() throws Exception {
    String net = freeBlock();
    int cpPort = freePort();
    Path conf = copyDemoMesh(net);
    Path out = dir.resolve("demo.out");
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-cp",
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
            "io.trellis.cli.Main",
            "demo",
            "--config", conf.toString(),
            "--logs", dir.resolve("logs").toString(),
            "--rate", "5",
            "--control-plane-port", Integer.toString(cpPort));
    Instant started = Instant.now();
    Process demo =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    List<ProcessHandle> children = new ArrayList<>();
    try {
      Instant deadline = started.plus(READY_WITHIN);
      String web = net + "11";
      String voting = net + "13";

      eventually("the page answers through web's inbound proxy", deadline, demo, out, () -> {
        HttpResponse<String> r = get("http://" + web + ":4143/");
        return r != null && r.statusCode() == 200 && r.body().contains("/api/vote?choice=");
      });
      eventually("a failed vote is counted at web's inbound proxy (HTTP 500)", deadline, demo, out, () ->
          counted(web, "response_total", "direction=\"inbound\"", "authority=\"web-svc:80\"",
              "status_code=\"500\"", "classification=\"failure\""));
      eventually("the failing gRPC Vote is counted at voting's inbound proxy", deadline, demo, out, () ->
          counted(voting, "response_total", "direction=\"inbound\"", "authority=\"voting-svc:8080\"",
              "grpc_status=\"2\"", "classification=\"failure\""));
      // web's own calls leave through its sidecar, named by service (not by address).
      assertTrue(
          counted(web, "response_total", "direction=\"outbound\"", "dst_service=\"emoji-svc\"",
              "classification=\"success\""),
          "web calls emoji through its outbound proxy");
      assertTrue(
          counted(web, "response_total", "direction=\"outbound\"", "dst_service=\"voting-svc\"",
              "classification=\"failure\""),
          "web's failing votes are counted on its outbound proxy too");
      assertTrue(
          Files.readString(out).contains("ready in"),
          () -> "the command said it was ready:\n" + read(out));

      // The proxies got their mesh from the demo's control plane, and trellis check says so.
      String said0 = read(out);
      assertTrue(said0.contains("control plane: 127.0.0.1:" + cpPort)
          && said0.contains("./trellis check --proxy --control-plane 127.0.0.1:" + cpPort)
          && said0.contains("./trellis stat deploy -n emojivoto")
          && said0.contains("./trellis tap deploy/web -n emojivoto"), said0);
      List<String> check = new ArrayList<>(command.subList(0, 4));
      check.addAll(List.of("io.trellis.cli.Main", "check", "--proxy", "--wait", "30s",
          "--control-plane", "127.0.0.1:" + cpPort));
      Path checkOut = dir.resolve("check.out");
      Process checkRun = new ProcessBuilder(check).redirectErrorStream(true)
          .redirectOutput(checkOut.toFile()).start();
      assertTrue(checkRun.waitFor(90, TimeUnit.SECONDS), "trellis check ends");
      String checked = read(checkOut);
      assertEquals(0, checkRun.exitValue(), checked);
      assertTrue(checked.contains("√ data plane proxies are ready (4/4)")
          && checked.contains("√ data plane proxies are subscribed to the control plane (4/4)"),
          checked);

      demo.descendants().forEach(children::add);
      assertEquals(6, children.size(),
          () -> "the control plane, four proxies and the apps: " + children);

      demo.destroy(); // SIGTERM: the command's shutdown hook stops its children
      assertTrue(demo.waitFor(30, TimeUnit.SECONDS), "the command exits");
      for (ProcessHandle child : children) {
        assertFalse(child.isAlive(), () -> "left running: " + child.info().commandLine().orElse("" + child.pid()));
      }
      String said = read(out);
      assertTrue(said.contains("trellis demo: stopped."), said);
      assertTrue(free(web, 4191) && free(web, 8080), "web's sockets are free again");
      assertTrue(free("127.0.0.1", cpPort), "the control plane's port is free again");
    } finally {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }

  /** demo/mesh.conf and its profiles, moved from 127.0.10.x to {@code net}. */
  private Path copyDemoMesh(String net) throws IOException {
    Path demoDir = Path.of("").toAbsolutePath().getParent().resolve("demo");
    String text = Files.readString(demoDir.resolve("mesh.conf"));
    assertTrue(text.contains("\"127.0.10."), "the demo's addresses are where this test expects");
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(conf, text.replace("\"127.0.10.", "\"" + net));
    Path profiles = Files.createDirectories(dir.resolve("profiles"));
    try (Stream<Path> yamls = Files.list(demoDir.resolve("profiles"))) {
      for (Path y : (Iterable<Path>) yamls::iterator) {
        Files.copy(y, profiles.resolve(y.getFileName()));
      }
    }
    return conf;
  }

  /** {@code 127.0.Y.}: a block whose demo addresses have all the demo's ports free. */
  private static String freeBlock() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      String net = "127.0." + (20 + ThreadLocalRandom.current().nextInt(230)) + ".";
      boolean allFree = true;
      for (int host = 11; host <= 14 && allFree; host++) {
        for (int port : new int[] {4140, 4143, 4191, 8080}) {
          allFree &= free(net + host, port);
        }
      }
      if (allFree) {
        return net;
      }
    }
    throw new IllegalStateException("no free 127.0.Y.0/24 block");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean free(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a proxy's /metrics has a sample of {@code metric} with all the labels, above 0. */
  private boolean counted(String address, String metric, String... labels) {
    HttpResponse<String> r = get("http://" + address + ":4191/metrics");
    if (r == null || r.statusCode() != 200) {
      return false;
    }
    return r.body()
        .lines()
        .filter(l -> l.startsWith(metric + "{"))
        .filter(l -> Stream.of(labels).allMatch(l::contains))
        .anyMatch(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) > 0);
  }

  private HttpResponse<String> get(String url) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** Polls {@code condition} until {@code deadline}; fails early if the command exits. */
  private static void eventually(String what, Instant deadline, Process demo, Path out, BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      if (!demo.isAlive()) {
        throw new AssertionError("trellis demo exited (" + demo.exitValue() + ") before: " + what + "\n" + read(out));
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + READY_WITHIN + " of the start: " + what + "\n" + read(out));
      }
      CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS)).join();
    }
  }
}
