package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.Cli;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.Golden;
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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trellis demo} end to end, as a user runs it: the command in its own JVM starts a
 * control plane, the proxies (meshed through it: {@code trellis check --proxy} passes) and the
 * apps, vote-bot's traffic and its deliberate failure show up in the proxies' metrics within 60 s,
 * the observability commands the demo suggests show that failure (golden output, numbers masked:
 * {@link Golden}; -Dtrellis.golden.update=true rewrites golden/demo/), and SIGTERM (what Ctrl-C
 * amounts to for the command) leaves no process behind.
 *
 * <p>It runs on a private copy of demo/mesh.conf moved to a free 127.0.Y.0/24 block (Y in
 * 20..249, never the demo's own 127.0.10.x), so a developer's own {@code ./trellis demo} is
 * undisturbed.
 *
 * <p>Ready within 60 s is the product's promise (issue 4) and the deadline on a machine with its
 * cores to spare. When the machine is already overloaded at the start (load average above twice
 * the cores: a full test suite or several builds beside it), the demo's six JVMs get a fraction of
 * a core each and the same start takes several times longer; the deadline is then
 * {@link #READY_UNDER_LOAD}, so the test checks behaviour rather than the neighbours' load. The
 * figure is printed either way.
 */
class DemoScenarioTest {
  private static final Duration READY_QUIET = Duration.ofSeconds(60);
  private static final Duration READY_UNDER_LOAD = Duration.ofSeconds(180);
  private static final Duration READY_WITHIN = readyWithin();
  private static final String NS = "emojivoto";
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
            "--ready-timeout", READY_WITHIN.toSeconds() + "s",
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
      System.out.printf("DemoScenarioTest: %s (deadline %s, load average %.1f on %d cores at the start)%n",
          read(out).lines().filter(l -> l.contains("ready in")).findFirst().orElse("?").strip(),
          READY_WITHIN, START_LOAD, CORES);

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
      Golden.assertMatches("demo/check-proxy.golden", checked.replace(conf.toString(), "MESH_CONF"));

      observabilityCommandsShowTheFailure(web, "--control-plane=127.0.0.1:" + cpPort);

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

  /**
   * What the demo's hints suggest, as a user types them, each compared with its golden file; the
   * deliberate failure (a vote for :doughnut:) shows in each. The numbers come from the control
   * plane's rolling windows, which fill as vote-bot calls: each command is polled until its rows
   * have numbers.
   */
  private void observabilityCommandsShowTheFailure(String web, String cp) {
    Deadline settled = Deadline.in(Duration.ofSeconds(120));

    // stat: every workload with traffic in; voting's success rate below 100% (the failing Vote).
    Cli.Result stat = poll(settled, "stat shows voting's failures", r -> {
      String voting = row(r.out(), "voting");
      return voting != null && percent(voting) < 100 && row(r.out(), "web") != null
          && percent(row(r.out(), "web")) < 100 && percent(row(r.out(), "emoji")) == 100;
    }, "stat", "deploy", "-n", NS, cp);
    Golden.assertMatches("demo/stat-deploy.golden", stat.out());

    Cli.Result statTo = poll(settled, "stat --to deploy/voting shows web's failing calls", r -> {
      String fromWeb = row(r.out(), "web");
      return fromWeb != null && percent(fromWeb) < 100;
    }, "stat", "deploy", "-n", NS, "--to", "deploy/voting", cp);
    Golden.assertMatches("demo/stat-deploy-to-voting.golden", statTo.out());

    Cli.Result edges = poll(settled, "edges shows the three calls", r ->
        r.out().lines().filter(l -> l.startsWith("web ") || l.startsWith("vote-bot ")).count() == 3,
        "edges", "deploy", "-n", NS, cp);
    Golden.assertMatches("demo/edges-deploy.golden", edges.out());

    // routes: web's API per route; the failing votes on GET /api/vote, and on voting's Vote.
    // vote-bot never asks for the page: the test does, through web's inbound proxy and named as
    // a meshed client names it (the profile is web-svc's), so route GET / has traffic too.
    Cli.Result webRoutes = poll(settled, "routes of web-svc have traffic", r -> {
      if (row(r.out(), "GET /") == null) {
        HttpResponse<String> page = get("http://" + web + ":4143/", "web-svc:80");
        assertTrue(page != null && page.statusCode() == 200, "the page through web's inbound proxy");
      }
      String vote = row(r.out(), "GET /api/vote");
      return vote != null && percent(vote) < 100 && percent(row(r.out(), "GET /api/list")) == 100
          && percent(row(r.out(), "GET /")) == 100;
    }, "routes", "svc/web-svc", "-n", NS, cp);
    Golden.assertMatches("demo/routes-web-svc.golden", webRoutes.out());
    Cli.Result votingRoutes = poll(settled, "voting-svc's Vote route fails", r -> {
      String vote = row(r.out(), "Vote");
      return vote != null && percent(vote) < 100;
    }, "routes", "svc/voting-svc", "-n", NS, cp);
    Golden.assertMatches("demo/routes-voting-svc.golden", votingRoutes.out());

    // tap: one recorded /api/list call from vote-bot to web, replayed (req, rsp, end). (The
    // demo's own readiness check calls /api/list too, by address: --authority leaves it out.)
    Cli.Result tap = Cli.run("tap", "deploy/web", "-n", NS, "--since", "1m", "--path", "/api/list",
        "--authority", "web-svc:80", "--limit", "3", cp);
    assertEquals(0, tap.exitCode(), tap::toString);
    Golden.assertMatches("demo/tap-web-list.golden", tap.out());
    // ... and the failing votes among web's recorded requests: HTTP 500 on /api/vote.
    Cli.Result votes = Cli.run("tap", "deploy/web", "-n", NS, "--since", "1m", "--path", "/api/vote",
        "--limit", "60", cp);
    assertEquals(0, votes.exitCode(), votes::toString);
    assertTrue(votes.out().lines().anyMatch(l -> l.startsWith("rsp ") && l.contains(":status=500")),
        votes::toString);

    // top: web's vote calls, success rate below 100%.
    Cli.Result top = Cli.run("top", "deploy/web", "-n", NS, "--since", "1m", "--path", "/api/vote",
        "--duration", "5s", cp);
    assertEquals(0, top.exitCode(), top::toString);
    Golden.assertMatches("demo/top-web-vote.golden", top.out());
    String voteRow = top.out().lines().filter(l -> l.contains("/api/vote")).findFirst().orElseThrow();
    assertTrue(percent(voteRow) < 100, top::toString);

    // get sp: the demo's three ServiceProfiles.
    Cli.Result sp = Cli.run("get", "sp", "-n", NS, cp);
    assertEquals(0, sp.exitCode(), sp::toString);
    Golden.assertMatches("demo/get-sp.golden", sp.out());
  }

  /** Runs {@code trellis ARGS} until {@code done} holds for its output (exit 0), or fails. */
  private Cli.Result poll(Deadline deadline, String what, Predicate<Cli.Result> done, String... args) {
    Cli.Result[] last = {null};
    deadline.await(what, () -> {
      last[0] = Cli.run(args);
      return last[0].exitCode() == 0 && done.test(last[0]);
    }, () -> last[0] + "\ncontrol-plane.log ends:\n" + tail(dir.resolve("logs/control-plane.log"), 25));
    return last[0];
  }

  private static String tail(Path file, int lines) {
    List<String> all = read(file).lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** The table row whose first column is {@code name} (a route name may have spaces), or null. */
  private static String row(String table, String name) {
    return table.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElse(null);
  }

  /** The first percentage of a row; 101 (never below 100) when it has none ("-": no traffic). */
  private static double percent(String row) {
    if (row == null) {
      return 101;
    }
    Matcher m = Pattern.compile("(\\d+\\.\\d+)%").matcher(row);
    return m.find() ? Double.parseDouble(m.group(1)) : 101;
  }

  /** The 1-minute load average, or 0 where there is none. */
  private static final double START_LOAD =
      java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  private static Duration readyWithin() {
    double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load > 2.0 * Runtime.getRuntime().availableProcessors() ? READY_UNDER_LOAD : READY_QUIET;
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
    return get(url, null);
  }

  /** GET {@code url} with {@code host} as the Host header (null: the URL's); null on failure. */
  private HttpResponse<String> get(String url, String host) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2));
    if (host != null) {
      request.header("Host", host);
    }
    try {
      return http.send(
          request.build(),
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
