package io.trellis.cli;

import com.typesafe.config.ConfigFactory;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigException;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.WorkloadConfig;
import io.trellis.demo.DemoApps;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.BindException;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trellis demo}: the demo app meshed on this machine. One {@code trellis proxy} process
 * per workload (Linkerd's ports on the workload's own 127.0.10.N address), the apps in one more
 * JVM ({@link DemoApps} says why one), and vote-bot's steady traffic, until Ctrl-C.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the demo app (web, emoji, voting, vote-bot) meshed on this machine: a",
      "control-plane node (127.0.0.1:8086, where every trellis command looks), a sidecar proxy",
      "process per workload on its own 127.0.10.N address that gets its mesh from it, and",
      "vote-bot's steady traffic with a real failure in it. Ctrl-C stops everything."
    })
final class DemoCommand implements Callable<Integer> {
  static final int FAILED = 1;
  static final int CONFIG_ERROR = 2;

  /**
   * The apps' JVM: C1 only and a serial GC, because on a two-core machine shared with four
   * proxies, compiling the apps' cold paths with C2 buys nothing a demo needs.
   */
  static final List<String> APPS_JAVA_OPTS =
      List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /**
   * Added to the proxies' JVM options for the demo's proxies and control plane: C1 only. Start-up
   * is what a demo waits for, and C2 compiling the start-up paths is most of a proxy's start-up
   * CPU: measured on this two-core machine, a proxy reached /ready after 5.4 to 6.2 s of CPU
   * with C2, 3.2 to 3.5 s with C1 only. The throughput C2 buys (proxy-jvm.options) matters at
   * 2,000 rps, not at vote-bot's few calls a second.
   */
  static final List<String> DEMO_PROXY_JAVA_OPTS = List.of("-XX:TieredStopAtLevel=1");

  /**
   * The demo's control plane: C1 only and a serial GC as for the apps, but not the proxy's 64 MiB
   * heap. Its rolling windows (trellis.metrics.retention = 10m, a scrape every 2 s) hold each
   * proxy's last 300 scrapes, each with its own copy of every series' labels: the old generation
   * grows ~24 MB a minute with the demo's four proxies until the retention is reached. With the
   * proxy's options the control plane died of OutOfMemoryError about 90 s into the demo.
   */
  static final List<String> CONTROL_PLANE_JAVA_OPTS =
      List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  /** util-linux's setpriv, where there is one (see {@link #java}). */
  private static final Path SETPRIV =
      Stream.of("/usr/bin/setpriv", "/bin/setpriv")
          .map(Path::of)
          .filter(Files::isExecutable)
          .findFirst()
          .orElse(null);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(15);

  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "The demo's mesh.conf (default: demo/mesh.conf of this checkout).")
  Path config;

  @Option(
      names = "--logs",
      paramLabel = "DIR",
      description = "Where each process's output goes (default: .trellis/demo of this checkout).")
  Path logs;

  @Option(
      names = "--rate",
      defaultValue = "3",
      paramLabel = "RPS",
      description = "vote-bot's calls per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--control-plane-port",
      defaultValue = "8086",
      paramLabel = "PORT",
      description = "The control plane's API port on 127.0.0.1 (default: ${DEFAULT-VALUE}, where"
          + " trellis commands look without --control-plane).")
  int controlPlanePort;

  @Option(
      names = "--ready-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description = "Give up if the demo is not ready by then (default: ${DEFAULT-VALUE}).")
  String readyTimeout;

  /** When the control plane listened, from the command's start (printed with "ready in"). */
  private Duration controlPlaneUp = Duration.ZERO;

  /**
   * Made on first use: picocli instantiates every subcommand of every {@code trellis} run, and an
   * HttpClient starts a selector thread, so a field initializer gave each proxy one.
   */
  private HttpClient http;

  @Override
  public Integer call() throws Exception {
    Instant started = Instant.now();
    Path home = home();
    Path conf = (config != null ? config : home.resolve("demo/mesh.conf")).toAbsolutePath().normalize();
    if (!Files.isRegularFile(conf)) {
      err("trellis demo: " + conf + ": no such file" + (config == null ? " (pass --config)" : ""));
      return CONFIG_ERROR;
    }
    if (!(rate > 0 && rate <= 1000)) {
      err("trellis demo: --rate must be in (0, 1000], got " + rate);
      return CONFIG_ERROR;
    }
    Duration deadline;
    try {
      deadline = ConfigFactory.parseString("d = " + readyTimeout).getDuration("d");
    } catch (RuntimeException e) {
      err("trellis demo: --ready-timeout: expected a duration such as 60s, got " + readyTimeout);
      return CONFIG_ERROR;
    }
    MeshConfig mesh;
    try {
      mesh = MeshConfigLoader.load(conf);
    } catch (MeshConfigException e) {
      err("trellis demo: " + e.getMessage());
      return CONFIG_ERROR;
    }
    List<String> missing =
        DemoApps.WORKLOADS.stream().filter(w -> !mesh.workloads().containsKey(w)).toList();
    if (!missing.isEmpty()) {
      err("trellis demo: " + conf + ": the demo needs workloads " + DemoApps.WORKLOADS + "; missing " + missing);
      return CONFIG_ERROR;
    }
    if (controlPlanePort < 1 || controlPlanePort > 65535) {
      err("trellis demo: --control-plane-port must be in 1..65535, got " + controlPlanePort);
      return CONFIG_ERROR;
    }
    HostPort controlPlane = new HostPort(CONTROL_PLANE_HOST, controlPlanePort);
    Path logDir = (logs != null ? logs : home.resolve(".trellis/demo")).toAbsolutePath().normalize();
    Files.createDirectories(logDir);

    if (!bindable(controlPlane)) {
      err("trellis demo: cannot start the control plane: " + controlPlane + " is already in use"
          + " (another control plane or demo?). Stop it, or pass --control-plane-port PORT.");
      return FAILED;
    }
    List<String> busy = busySockets(mesh);
    if (!busy.isEmpty()) {
      err("trellis demo: cannot start, already in use:");
      busy.forEach(line -> err("  " + line));
      List<String> stale = previousRun(logDir);
      err(
          stale.isEmpty()
              ? "Is another `trellis demo` (or a test) running on these addresses? Stop it first."
              : "A previous `trellis demo` still seems to run: kill " + String.join(" ", stale));
      return FAILED;
    }

    Children children = new Children(logDir);
    CountDownLatch stopRequested = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stopRequested.countDown();
              children.stopAll(out());
            },
            "trellis-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);

    out().printf("trellis demo: starting the %s demo from %s%n", mesh.namespace(), conf);
    out().printf("  control plane: %s (its log: control-plane.log)%n", controlPlane);
    out().printf("  logs: %s%n", logDir);
    out().flush();
    List<String> javaOpts = words(System.getenv("TRELLIS_JAVA_OPTS"));
    List<String> proxyOpts = new ArrayList<>(ProxyJvmOptions.load());
    proxyOpts.addAll(DEMO_PROXY_JAVA_OPTS);
    try {
      children.start(
          "control-plane", startControlPlane(conf, controlPlane, CONTROL_PLANE_JAVA_OPTS, javaOpts));
      List<String> apps = java(APPS_JAVA_OPTS, javaOpts);
      apps.addAll(
          List.of(
              DemoApps.class.getName(),
              "--config", conf.toString(),
              "--rate", Double.toString(rate),
              "--parent-pid", Long.toString(ProcessHandle.current().pid())));
      children.start("apps", apps);
      // The proxies start once the control plane listens, so their first mesh comes from it.
      String cpNotReady = awaitListening(controlPlane, children, started.plus(deadline));
      if (cpNotReady != null) {
        err("trellis demo: " + cpNotReady);
        children.stopAll(out());
        return FAILED;
      }
      controlPlaneUp = Duration.between(started, Instant.now());
      for (String w : DemoApps.WORKLOADS) {
        List<String> cmd = java(proxyOpts, javaOpts);
        cmd.addAll(List.of(Main.class.getName(), "proxy", "--workload", w));
        cmd.addAll(proxyMeshArgs(conf, controlPlane));
        children.start(w + "-proxy", cmd);
      }
      children.writePids();
    } catch (IOException | UncheckedIOException e) {
      err("trellis demo: cannot start a process: " + e.getMessage());
      children.stopAll(out());
      return FAILED;
    }

    String notReady = awaitReady(mesh, children, started.plus(deadline));
    if (notReady != null) {
      err("trellis demo: " + notReady);
      children.stopAll(out());
      return FAILED;
    }
    printWhatToTry(mesh, logDir, controlPlane, Duration.between(started, Instant.now()));

    // Run until Ctrl-C (the hook stops everything) or until a process dies on its own.
    Children.Child gone = children.anyExit().join();
    if (stopRequested.await(2, TimeUnit.SECONDS)) {
      // Ctrl-C reaches the whole process group: the child may have exited just before the hook
      // started. The hook is stopping the rest; nothing went wrong.
      return 0;
    }
    err(
        "trellis demo: "
            + gone.name()
            + " exited on its own (code "
            + gone.process().exitValue()
            + "); stopping the demo. Its log: "
            + gone.log());
    children.tail(gone, 15).forEach(this::err);
    children.stopAll(out());
    return FAILED;
  }

  /**
   * How the proxies learn the mesh: their own workload from mesh.conf, everything else (services,
   * endpoints, profiles, splits, applied resources) from the control plane.
   */
  private static List<String> proxyMeshArgs(Path conf, HostPort controlPlane) {
    return List.of("--config", conf.toString(), "--control-plane", controlPlane.toString());
  }

  private static final String CONTROL_PLANE_HOST = "127.0.0.1";

  /**
   * The control-plane node's command: a JVM of its own (like a proxy, with the proxies' JVM
   * options), a cluster of one on a free artery port, its API on {@code api}.
   */
  private static List<String> startControlPlane(
      Path conf, HostPort api, List<String> jvmOpts, List<String> javaOpts) throws IOException {
    int nodePort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(CONTROL_PLANE_HOST))) {
      nodePort = s.getLocalPort();
    }
    List<String> cmd = java(jvmOpts, javaOpts);
    cmd.addAll(List.of(Main.class.getName(), "control-plane", "--config", conf.toString(),
        "--destination", api.toString(), "--node-port", Integer.toString(nodePort)));
    return cmd;
  }

  private static boolean bindable(HostPort hp) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(hp.host(), hp.port()));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Null once something accepts connections on {@code hp}, else why not (a child died, time). */
  private String awaitListening(HostPort hp, Children children, Instant deadline) {
    while (true) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new InetSocketAddress(hp.host(), hp.port()), 500);
        return null;
      } catch (IOException e) {
        // not yet
      }
      Children.Child dead = children.firstExited();
      if (dead != null) {
        return dead.name() + " exited during start (code " + dead.process().exitValue()
            + "); its log " + dead.log() + " ends:\n  " + String.join("\n  ", children.tail(dead, 15));
      }
      if (Instant.now().isAfter(deadline)) {
        return "the control plane did not listen on " + hp + " in time (log: "
            + children.dir().resolve("control-plane.log") + ")";
      }
      CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS)).join();
    }
  }

  /** The checkout: where the launcher runs from (TRELLIS_HOME), else the working directory. */
  private static Path home() {
    String h = System.getenv("TRELLIS_HOME");
    return Path.of(h == null || h.isBlank() ? "" : h).toAbsolutePath();
  }

  /**
   * {@code java} with this JVM's classpath, so every child runs what this command runs. On
   * Linux it goes through {@code setpriv --pdeathsig TERM}: should this command die without
   * running its shutdown hook ({@code kill -9}), the kernel still asks each child to stop,
   * instead of leaving proxies holding the demo's addresses.
   */
  private static List<String> java(List<String> opts, List<String> more) {
    List<String> cmd = new ArrayList<>();
    if (SETPRIV != null) {
      cmd.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "TERM"));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(opts);
    cmd.addAll(more);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    return cmd;
  }

  private static List<String> words(String s) {
    return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
  }

  /**
   * What keeps the demo from listening, one line per workload: its sockets that something else
   * already holds, or an address that is not local.
   */
  static List<String> busySockets(MeshConfig mesh) {
    List<String> busy = new ArrayList<>();
    for (String w : DemoApps.WORKLOADS) {
      WorkloadConfig wl = mesh.workloads().get(w);
      Map<String, HostPort> sockets = new LinkedHashMap<>();
      sockets.put("app", wl.app());
      sockets.put("outbound", wl.proxy().outbound());
      sockets.put("inbound", wl.proxy().inbound());
      sockets.put("admin", wl.proxy().admin());
      List<String> taken = new ArrayList<>();
      for (var e : sockets.entrySet()) {
        HostPort hp = e.getValue();
        try (ServerSocket probe = new ServerSocket()) {
          probe.bind(new InetSocketAddress(hp.host(), hp.port()));
        } catch (BindException ex) {
          if (String.valueOf(ex.getMessage()).toLowerCase(Locale.ROOT).contains("assign")) {
            taken.add(hp.host() + " is not a local address (on macOS: sudo ifconfig lo0 alias " + hp.host() + ")");
            break;
          }
          taken.add(e.getKey() + " " + hp);
        } catch (IOException ex) {
          taken.add(e.getKey() + " " + hp + " (" + ex.getMessage() + ")");
        }
      }
      if (!taken.isEmpty()) {
        busy.add(w + ": " + String.join(", ", taken));
      }
    }
    return busy;
  }

  /** Pids of the last run's processes that are still alive (from the pids file in the logs). */
  private static List<String> previousRun(Path logDir) {
    Path pids = logDir.resolve(Children.PIDS);
    if (!Files.isRegularFile(pids)) {
      return List.of();
    }
    try {
      return Files.readAllLines(pids).stream()
          .map(line -> line.split(" "))
          .filter(f -> f.length == 2)
          .map(f -> f[1])
          .filter(pid -> isTrellis(Long.parseLong(pid)))
          .toList();
    } catch (IOException | NumberFormatException e) {
      return List.of();
    }
  }

  /** Whether a live process runs trellis classes (not some later process that reused the pid). */
  private static boolean isTrellis(long pid) {
    if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
      return false;
    }
    // ProcessHandle.Info gives up on long command lines (a classpath is long): read /proc.
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.ISO_8859_1)
          .contains("io.trellis.");
    } catch (IOException | UncheckedIOException e) {
      return ProcessHandle.of(pid)
          .flatMap(p -> p.info().commandLine())
          .filter(c -> c.contains("io.trellis."))
          .isPresent();
    }
  }

  /**
   * Polls until every proxy is /ready and every app answers, the page included through web's
   * inbound proxy (which proves web reaches emoji through its own sidecar too). Returns null
   * when ready, else what is not.
   */
  private String awaitReady(MeshConfig mesh, Children children, Instant deadline) {
    Map<String, URI> checks = new LinkedHashMap<>();
    for (String w : DemoApps.WORKLOADS) {
      checks.put(w + " proxy /ready", uri(mesh.workloads().get(w).proxy().admin(), "/ready"));
    }
    WorkloadConfig web = mesh.workloads().get(DemoApps.WEB);
    checks.put("emoji app", uri(mesh.workloads().get(DemoApps.EMOJI).app(), "/"));
    checks.put("voting app", uri(mesh.workloads().get(DemoApps.VOTING).app(), "/"));
    checks.put("web page", uri(web.app(), "/"));
    checks.put("web /api/list through web's inbound proxy", uri(web.proxy().inbound(), "/api/list"));
    checks.put("vote-bot", uri(mesh.workloads().get(DemoApps.VOTE_BOT).app(), "/"));
    // emoji and voting speak gRPC: any HTTP answer means they listen.
    List<String> anyAnswer = List.of("emoji app", "voting app");

    Map<String, URI> pending = new LinkedHashMap<>(checks);
    Instant nextReport = Instant.now().plus(PROGRESS_EVERY);
    while (true) {
      pending.entrySet().removeIf(e -> answers(e.getValue(), !anyAnswer.contains(e.getKey())));
      if (pending.isEmpty()) {
        return null;
      }
      Children.Child dead = children.firstExited();
      if (dead != null) {
        String tail = String.join("\n  ", children.tail(dead, 15));
        return dead.name() + " exited during start (code " + dead.process().exitValue() + "); its log "
            + dead.log() + " ends:\n  " + tail;
      }
      if (Instant.now().isAfter(deadline)) {
        return "not ready in time; still waiting for: "
            + String.join(", ", pending.keySet())
            + " (logs in " + children.dir() + ")";
      }
      if (Instant.now().isAfter(nextReport)) {
        // A busy machine can take a while: say what is still starting rather than go quiet.
        out().printf("  still starting: %s%n", String.join(", ", pending.keySet()));
        out().flush();
        nextReport = Instant.now().plus(PROGRESS_EVERY);
      }
      // Poll again shortly; not a fixed wait for readiness.
      CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS)).join();
    }
  }

  private boolean answers(URI uri, boolean need2xx) {
    try {
      if (http == null) {
        http =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1))
                .build();
      }
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
      return !need2xx || r.statusCode() / 100 == 2;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static URI uri(HostPort hp, String path) {
    return URI.create("http://" + hp + path);
  }

  private void printWhatToTry(MeshConfig mesh, Path logDir, HostPort controlPlane, Duration took) {
    PrintWriter o = out();
    o.printf("%ntrellis demo: ready in %.1f s (control plane listening after %.1f s). Namespace %s:%n%n",
        took.toMillis() / 1000.0, controlPlaneUp.toMillis() / 1000.0, mesh.namespace());
    o.printf("  %-9s %-12s %-6s %s%n", "WORKLOAD", "ADDRESS", "APP", "PROXY out/in/admin");
    for (String w : DemoApps.WORKLOADS) {
      WorkloadConfig wl = mesh.workloads().get(w);
      o.printf(
          "  %-9s %-12s %-6s %d/%d/%d%n",
          w,
          wl.address(),
          ":" + wl.appPort(),
          wl.proxy().outbound().port(),
          wl.proxy().inbound().port(),
          wl.proxy().admin().port());
    }
    WorkloadConfig web = mesh.workloads().get(DemoApps.WEB);
    WorkloadConfig voting = mesh.workloads().get(DemoApps.VOTING);
    WorkloadConfig bot = mesh.workloads().get(DemoApps.VOTE_BOT);
    String webAuthority = mesh.services().get(web.serves().get(0)).name() + ":" + mesh.services().get(web.serves().get(0)).port();
    o.println();
    o.println("Try:");
    o.printf("  The vote page (one emoji cannot be voted for), direct and through web's inbound proxy:%n");
    o.printf("    http://%s/    http://%s/%n", web.app(), web.proxy().inbound());
    o.printf("  web's proxy metrics:%n");
    o.printf("    curl -s http://%s/metrics | grep ^response_total%n", web.proxy().admin());
    o.printf("  The failing votes, where voting's proxy sees them:%n");
    o.printf("    curl -s http://%s/metrics | grep 'classification=\"failure\"'%n", voting.proxy().admin());
    o.printf("  A vote through vote-bot's sidecar, and vote-bot's counters:%n");
    o.printf(
        "    curl -s -H 'Host: %s' 'http://%s/api/vote?choice=:doughnut:'%n", webAuthority, bot.proxy().outbound());
    o.printf("    curl -s http://%s/%n", bot.app());
    String cp = controlPlane.port() == 8086 ? "" : " --control-plane " + controlPlane;
    o.printf("  The mesh, from the control plane at %s:%n", controlPlane);
    o.printf("    ./trellis check --proxy%s%n", cp);
    o.printf("    ./trellis stat deploy -n %s%s%n", mesh.namespace(), cp);
    o.printf("    ./trellis edges deploy -n %s%s      (mTLS between the proxies: SECURED √)%n",
        mesh.namespace(), cp);
    o.printf("    ./trellis tap deploy/web -n %s%s%n", mesh.namespace(), cp);
    o.printf("    ./trellis get sp%s        (./trellis apply -f FILE adds ServiceProfiles and TrafficSplits)%n", cp);
    o.printf("Logs: %s (one file per process). Ctrl-C stops everything.%n", logDir);
    o.flush();
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  private void err(String message) {
    spec.commandLine().getErr().println(message);
    spec.commandLine().getErr().flush();
  }

  /** The processes the demo started, each with its log file; stopped together, once. */
  static final class Children {
    static final String PIDS = "pids";

    record Child(String name, Process process, Path log) {}

    private final Path dir;
    private final List<Child> started = new ArrayList<>();
    private boolean stopped;

    Children(Path dir) {
      this.dir = dir;
    }

    Path dir() {
      return dir;
    }

    synchronized void start(String name, List<String> command) throws IOException {
      if (stopped) {
        throw new IOException("stopping; not starting " + name);
      }
      Path log = dir.resolve(name + ".log");
      // The command that ran, with the (long, shared) classpath shortened.
      String shown =
          command.stream()
              .map(a -> a.equals(System.getProperty("java.class.path")) ? "<this command's classpath>" : a)
              .collect(Collectors.joining(" "));
      Files.writeString(log, "$ " + shown + "\n\n", StandardCharsets.UTF_8);
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      started.add(new Child(name, p, log));
    }

    synchronized void writePids() throws IOException {
      Files.writeString(
          dir.resolve(PIDS),
          started.stream().map(c -> c.name() + " " + c.process().pid()).collect(Collectors.joining("\n", "", "\n")));
    }

    synchronized Child firstExited() {
      return started.stream().filter(c -> !c.process().isAlive()).findFirst().orElse(null);
    }

    /** Completes with the first child to exit. */
    CompletableFuture<Child> anyExit() {
      List<Child> all;
      synchronized (this) {
        all = List.copyOf(started);
      }
      CompletableFuture<Child> first = new CompletableFuture<>();
      all.forEach(c -> c.process().onExit().thenRun(() -> first.complete(c)));
      return first;
    }

    List<String> tail(Child c, int lines) {
      try {
        List<String> all = Files.readAllLines(c.log(), StandardCharsets.UTF_8);
        return all.subList(Math.max(0, all.size() - lines), all.size());
      } catch (IOException | UncheckedIOException e) {
        return List.of("(cannot read " + c.log() + ": " + e.getMessage() + ")");
      }
    }

    /**
     * Asks every child to stop (SIGTERM: each runs its own shutdown), waits up to
     * {@link #STOP_GRACE} for all of them, then kills what is left. Idempotent: the shutdown
     * hook and a failing start may both call it.
     */
    synchronized void stopAll(PrintWriter out) {
      if (stopped) {
        return;
      }
      stopped = true;
      List<Child> alive = started.stream().filter(c -> c.process().isAlive()).toList();
      if (alive.isEmpty()) {
        return;
      }
      out.printf("%ntrellis demo: stopping %d processes...%n", alive.size());
      out.flush();
      // The apps first, so vote-bot stops calling before the proxies go away.
      alive.stream().filter(c -> c.name().equals("apps")).forEach(c -> c.process().destroy());
      alive.stream().filter(c -> !c.name().equals("apps")).forEach(c -> c.process().destroy());
      Instant end = Instant.now().plus(STOP_GRACE);
      List<String> killed = new ArrayList<>();
      for (Child c : alive) {
        try {
          long left = Math.max(0, Duration.between(Instant.now(), end).toMillis());
          if (!c.process().waitFor(left, TimeUnit.MILLISECONDS)) {
            c.process().destroyForcibly();
            killed.add(c.name());
            c.process().waitFor(5, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          c.process().destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
      out.printf(
          "trellis demo: stopped%s.%n",
          killed.isEmpty() ? "" : " (killed after " + STOP_GRACE.toSeconds() + " s: " + String.join(", ", killed) + ")");
      out.flush();
      try {
        Files.deleteIfExists(dir.resolve(PIDS));
      } catch (IOException e) {
        // Only a hint for the next run.
      }
    }
  }
}
