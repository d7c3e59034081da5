package io.trellis.tests.mesh;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.trellis.tests.backend.Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A small mesh for one test class: a mesh.conf in a temp dir, one {@link ProxyProcess} per
 * workload (each its own JVM on its own loopback address), and the {@link Backend} app of every
 * server workload, started before the class's tests and torn down after them.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());
 * ... mesh.target("client", "echo-svc") ...
 * </pre>
 *
 * {@link #bypassingProxies()} (or {@code -Dtrellis.tests.bypassProxies=true}) points every
 * target straight at the app instead, to check a scenario's own expectations without a proxy.
 *
 * <p>{@link #withControlPlanes(int)} adds a control-plane cluster: that many {@link
 * ControlPlaneProcess} JVMs on one address of the block (free ports for artery and the
 * destination API, every node a seed, all in mesh.conf's {@code trellis.control-plane} block),
 * started and clustered before the proxies, which then take their mesh from them ({@code
 * --control-plane} with every node's address, node 0 first).
 */
public final class MeshFixture implements BeforeAllCallback, AfterAllCallback {
  public static final String SERVICE = "echo-svc";

  private static final String BACKEND_CONFIG =
      String.join(
          "\n",
          "pekko.loglevel = WARNING",
          "pekko.http.server.enable-http2 = on",
          // The streaming cases push 1 GiB through one request; the limits must not cut it.
          "pekko.http.server.parsing.max-content-length = infinite",
          "pekko.http.client.parsing.max-content-length = infinite",
          "pekko.http.server.request-timeout = 300s",
          "pekko.http.server.idle-timeout = 300s",
          "pekko.http.client.idle-timeout = 300s");

  /** Host number of the control-plane nodes' address in the block (the workloads count up). */
  private static final int CONTROL_PLANE_HOST = 254;

  private static final Duration CONTROL_PLANES_READY_WITHIN = Duration.ofSeconds(60);

  private final MeshSpec initial;
  private final boolean bypass;
  private final int controlPlaneCount;
  private final String controlPlaneSettings;
  /** Extra top-level HOCON of mesh.conf (e.g. {@code trellis.identity { leaf-lifetime = 30s }}). */
  private final String meshSettings;

  private volatile MeshSpec spec;
  private LoopbackBlock block;
  private Path dir;
  private Path config;
  private Path logDir;
  private ActorSystem system;
  private HttpClient http;
  private final Map<String, Backend> backends = new LinkedHashMap<>();
  private final Map<String, ProxyProcess> proxies = new LinkedHashMap<>();
  private final List<ControlPlaneProcess> controlPlanes = new ArrayList<>();
  /** mesh.conf's trellis.control-plane block and extra settings, kept across edits. */
  private String controlPlaneBlock = "";

  private MeshFixture(
      MeshSpec spec, boolean bypass, int controlPlaneCount, String settings, String meshSettings) {
    this.initial = spec;
    this.spec = spec;
    this.bypass = bypass;
    this.controlPlaneCount = controlPlaneCount;
    this.controlPlaneSettings = settings;
    this.meshSettings = meshSettings;
  }

  public static MeshFixture of(MeshSpec spec) {
    return new MeshFixture(spec, Boolean.getBoolean("trellis.tests.bypassProxies"), 0, "", "");
  }

  /** The same mesh with {@code hocon} added to mesh.conf (top level, e.g. trellis.identity). */
  public MeshFixture withMeshSettings(String... hocon) {
    return new MeshFixture(initial, bypass, controlPlaneCount, controlPlaneSettings,
        String.join("\n", hocon) + "\n");
  }

  /**
   * The same mesh served by a cluster of {@code nodes} control-plane JVMs; {@code settings} are
   * extra {@code trellis.control-plane} lines (e.g. {@code downing-stable-after = 5s}).
   */
  public MeshFixture withControlPlanes(int nodes, String... settings) {
    return new MeshFixture(initial, bypass, nodes, String.join("\n", settings), meshSettings);
  }

  /** The usual shape: a {@code client} workload calling {@code echo-svc} on {@code server}. */
  public static MeshSpec clientAndServer() {
    return MeshSpec.empty().service(SERVICE).client("client").server("server", SERVICE);
  }

  /** The same mesh with clients talking straight to the apps: no proxy is started. */
  public MeshFixture bypassingProxies() {
    return new MeshFixture(initial, true, controlPlaneCount, controlPlaneSettings, meshSettings);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    if (!bypass) {
      Assumptions.assumeTrue(
          ProxyProcess.available(),
          "the proxy (io.trellis.cli.Main) is not built yet; run with"
              + " -Dtrellis.tests.bypassProxies=true to check scenarios against the apps alone");
    }
    String testClass = context.getRequiredTestClass().getSimpleName();
    long started = System.nanoTime();
    block = LoopbackBlock.pick(spec.workloads().size() + 4);
    dir = Files.createTempDirectory("trellis-e2e-" + testClass + "-");
    config = dir.resolve("mesh.conf");
    logDir = Path.of(System.getProperty("trellis.tests.logs", "target/mesh-logs")).resolve(testClass);
    Files.createDirectories(logDir);
    List<String[]> nodes = new ArrayList<>(); // {destination, artery node}
    if (!bypass && controlPlaneCount > 0) {
      String host = block.address(CONTROL_PLANE_HOST);
      List<Integer> ports = FreePorts.on(host, 2 * controlPlaneCount);
      for (int i = 0; i < controlPlaneCount; i++) {
        nodes.add(new String[] {host + ":" + ports.get(2 * i), host + ":" + ports.get(2 * i + 1)});
      }
      controlPlaneBlock = controlPlaneBlock(nodes);
    }
    controlPlaneBlock += meshSettings;
    writeResources(spec);
    Files.writeString(config, spec.render(block) + controlPlaneBlock, StandardCharsets.UTF_8);
    Files.copy(config, logDir.resolve("mesh.conf"), StandardCopyOption.REPLACE_EXISTING);
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Config conf = ConfigFactory.parseString(BACKEND_CONFIG).withFallback(ConfigFactory.load());
    system = ActorSystem.create("e2e", conf);
    for (MeshSpec.Workload w : spec.workloads()) {
      if (w.app()) {
        backends.put(w.name(), Backend.start(system, w.name(), address(w.name()), MeshSpec.APP_PORT));
      }
    }
    if (!bypass) {
      List<String> proxyOptions = List.of();
      if (!nodes.isEmpty()) {
        for (int i = 0; i < nodes.size(); i++) {
          controlPlanes.add(ControlPlaneProcess.start(
              config, "control-plane-" + i, nodes.get(i)[0], nodes.get(i)[1], logDir));
        }
        // Proxies start once node 0 (first in their lists) listens, so their JVM start-ups
        // overlap the cluster's forming; the cluster is complete before the fixture is ready.
        controlPlanes.get(0)
            .awaitLogged("control plane ready: destination API on", CONTROL_PLANES_READY_WITHIN);
        proxyOptions = List.of("--control-plane", String.join(",",
            controlPlanes.stream().map(ControlPlaneProcess::destination).toList()));
      }
      // Start every JVM first, then wait: their start-ups overlap.
      for (MeshSpec.Workload w : spec.workloads()) {
        proxies.put(
            w.name(), ProxyProcess.start(config, w.name(), address(w.name()), logDir, proxyOptions));
      }
      Deadline clustered = Deadline.in(CONTROL_PLANES_READY_WITHIN);
      for (ControlPlaneProcess cp : controlPlanes) {
        cp.awaitReady(controlPlanes.size(), clustered.remaining());
      }
      for (ProxyProcess p : proxies.values()) {
        p.awaitReady(http);
      }
      System.out.printf("%s: mesh ready in %d ms (%d control-plane nodes, %d proxies)%n",
          testClass, Duration.ofNanos(System.nanoTime() - started).toMillis(),
          controlPlanes.size(), proxies.size());
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<Throwable> errors = new ArrayList<>();
    proxies.values().forEach(p -> run(p::close, errors));
    // Youngest first, one at a time: each hands its shards to the older ones and leaves; all at
    // once, the last ones wait out Pekko's exiting timeout for peers already gone.
    for (int i = controlPlanes.size() - 1; i >= 0; i--) {
      run(controlPlanes.get(i)::close, errors);
    }
    backends.values().forEach(b -> run(b::close, errors));
    if (system != null) {
      run(() -> system.terminate(), errors);
    }
    if (dir != null) {
      run(() -> deleteTree(dir), errors);
    }
    if (!errors.isEmpty()) {
      AssertionError e = new AssertionError("tearing the mesh down failed");
      errors.forEach(e::addSuppressed);
      throw e;
    }
  }

  /** How {@code fromWorkload}'s app reaches {@code service}. */
  public Target target(String fromWorkload, String service) {
    if (bypass) {
      return new Target(address(spec.firstServerOf(service).name()), MeshSpec.APP_PORT, service);
    }
    return new Target(address(fromWorkload), 4140, service);
  }

  /** Skips the calling test when proxies are bypassed: it checks what only a proxy does. */
  public void requireProxies() {
    Assumptions.assumeFalse(bypass, "this scenario checks the proxy itself");
  }

  public boolean proxied() {
    return !bypass;
  }

  public String address(String workload) {
    return block.address(spec.workload(workload).host());
  }

  /** Spare addresses of this class's block beyond the workloads, n = 1, 2, ... */
  public String spareAddress(int n) {
    return spec.spareAddress(block, n);
  }

  public LoopbackBlock block() {
    return block;
  }

  /** Control-plane node {@code i} (0-based); node 0 is first in every proxy's list. */
  public ControlPlaneProcess controlPlane(int i) {
    return controlPlanes.get(i);
  }

  public List<ControlPlaneProcess> controlPlanes() {
    return List.copyOf(controlPlanes);
  }

  public ProxyProcess proxy(String workload) {
    ProxyProcess p = proxies.get(workload);
    if (p == null) {
      throw new IllegalArgumentException("no proxy for " + workload + " (bypassed: " + bypass + ")");
    }
    return p;
  }

  public ActorSystem system() {
    return system;
  }

  /** A Java HttpClient for the harness's own calls (admin endpoints, readiness). */
  public HttpClient http() {
    return http;
  }

  public Path config() {
    return config;
  }

  public Path logDir() {
    return logDir;
  }

  public MeshSpec spec() {
    return spec;
  }

  /**
   * Edits mesh.conf as a user would while everything runs. {@code atomically} replaces the file
   * by rename (how many editors save); otherwise it is rewritten in place.
   */
  public void edit(UnaryOperator<MeshSpec> change, boolean atomically) {
    MeshSpec next = change.apply(spec);
    String text = next.render(block) + controlPlaneBlock;
    try {
      writeResources(next);
      if (atomically) {
        Path tmp = dir.resolve("mesh.conf.tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.writeString(config, text, StandardCharsets.UTF_8);
      }
      Files.copy(config, logDir.resolve("mesh.conf"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("editing " + config, e);
    }
    spec = next;
  }

  /** Writes the spec's YAML resources beside mesh.conf (before mesh.conf names them). */
  private void writeResources(MeshSpec s) throws IOException {
    for (Map.Entry<String, String> r : s.resources().entrySet()) {
      Path file = dir.resolve(r.getKey());
      Files.createDirectories(file.getParent());
      Files.writeString(file, r.getValue(), StandardCharsets.UTF_8);
    }
  }

  /** Every proxy's (and control-plane node's) log tail, for assertion messages. */
  public String proxyLogs() {
    StringBuilder out = new StringBuilder();
    proxies.values().forEach(p -> out.append(p.logTail()).append('\n'));
    controlPlanes.forEach(cp -> out.append(cp.logTail()).append('\n'));
    return out.toString();
  }

  /** trellis.control-plane for {@code nodes} ({destination, node}): every node is a seed. */
  private String controlPlaneBlock(List<String[]> nodes) {
    StringBuilder out = new StringBuilder();
    out.append("trellis.control-plane {\n");
    // The cluster host; each node's own port comes from --node-port, its API from --destination.
    out.append("  node = \"").append(nodes.get(0)[1]).append("\"\n");
    out.append("  seed-nodes = [")
        .append(String.join(", ", nodes.stream().map(n -> '"' + n[1] + '"').toList()))
        .append("]\n");
    if (!controlPlaneSettings.isBlank()) {
      out.append("  ").append(controlPlaneSettings.replace("\n", "\n  ")).append('\n');
    }
    out.append("}\n");
    return out.toString();
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void run(Step step, List<Throwable> errors) {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      errors.add(e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
