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

  private final MeshSpec initial;
  private final boolean bypass;

  private volatile MeshSpec spec;
  private LoopbackBlock block;
  private Path dir;
  private Path config;
  private Path logDir;
  private ActorSystem system;
  private HttpClient http;
  private final Map<String, Backend> backends = new LinkedHashMap<>();
  private final Map<String, ProxyProcess> proxies = new LinkedHashMap<>();

  private MeshFixture(MeshSpec spec, boolean bypass) {
    this.initial = spec;
    this.spec = spec;
    this.bypass = bypass;
  }

  public static MeshFixture of(MeshSpec spec) {
    return new MeshFixture(spec, Boolean.getBoolean("trellis.tests.bypassProxies"));
  }

  /** The usual shape: a {@code client} workload calling {@code echo-svc} on {@code server}. */
  public static MeshSpec clientAndServer() {
    return MeshSpec.empty().service(SERVICE).client("client").server("server", SERVICE);
  }

  /** The same mesh with clients talking straight to the apps: no proxy is started. */
  public MeshFixture bypassingProxies() {
    return new MeshFixture(initial, true);
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
    block = LoopbackBlock.pick(spec.workloads().size() + 4);
    dir = Files.createTempDirectory("trellis-e2e-" + testClass + "-");
    config = dir.resolve("mesh.conf");
    Files.writeString(config, spec.render(block), StandardCharsets.UTF_8);
    logDir = Path.of(System.getProperty("trellis.tests.logs", "target/mesh-logs")).resolve(testClass);
    Files.createDirectories(logDir);
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
      // Start every JVM first, then wait: their start-ups overlap.
      for (MeshSpec.Workload w : spec.workloads()) {
        proxies.put(w.name(), ProxyProcess.start(config, w.name(), address(w.name()), logDir));
      }
      for (ProxyProcess p : proxies.values()) {
        p.awaitReady(http);
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<Throwable> errors = new ArrayList<>();
    proxies.values().forEach(p -> run(p::close, errors));
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
    String text = next.render(block);
    try {
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

  /** Every proxy's log tail, for assertion messages. */
  public String proxyLogs() {
    StringBuilder out = new StringBuilder();
    proxies.values().forEach(p -> out.append(p.logTail()).append('\n'));
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
