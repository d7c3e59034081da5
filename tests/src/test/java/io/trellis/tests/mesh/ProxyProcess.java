package io.trellis.tests.mesh;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One workload's sidecar as a separate JVM, started the way a user starts it ({@code trellis
 * proxy --config FILE --workload NAME}) with a 64 MiB heap. Its output goes to a file under
 * target/ so a failing test can be diagnosed after the fact.
 */
public final class ProxyProcess implements AutoCloseable {
  /** The JVM options every proxy runs with (cli's proxy-jvm.options, as ./trellis uses). */
  public static final List<String> JVM_OPTIONS = io.trellis.cli.ProxyJvmOptions.load();

  private static final String MAIN = "io.trellis.cli.Main";
  private static final Duration READY_WITHIN = Duration.ofSeconds(60);

  private final String workload;
  private final String address;
  private final Process process;
  private final Path log;

  private ProxyProcess(String workload, String address, Process process, Path log) {
    this.workload = workload;
    this.address = address;
    this.process = process;
    this.log = log;
  }

  /** Whether the proxy's main class is built at all (it lands in its own issue). */
  public static boolean available() {
    try {
      Class.forName(MAIN, false, ProxyProcess.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  public static ProxyProcess start(Path config, String workload, String address, Path logDir) {
    return start(config, workload, address, logDir, List.of());
  }

  /** As above, with more {@code trellis proxy} options (e.g. {@code --control-plane ADDR,..}). */
  public static ProxyProcess start(
      Path config, String workload, String address, Path logDir, List<String> options) {
    Path log = logDir.resolve(workload + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Includes -XX:+ExitOnOutOfMemoryError: a heap overrun ends the process, so a test sees it.
    command.addAll(JVM_OPTIONS);
    command.add("-cp");
    command.add(sidecarClasspath());
    command.add(MAIN);
    command.addAll(List.of("proxy", "--config", config.toString(), "--workload", workload));
    command.addAll(options);
    try {
      Files.createDirectories(logDir);
      ProcessBuilder pb = new ProcessBuilder(command);
      // as ./trellis sets it for a proxy: one malloc arena
      pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "1");
      Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
      ProcessReaper.register(p);
      return new ProxyProcess(workload, address, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("starting proxy for " + workload, e);
    }
  }

  /** Polls the admin /ready until it answers 200; fails early if the process exits. */
  public void awaitReady(HttpClient http) {
    URI ready = adminUri("/ready");
    Deadline.in(READY_WITHIN)
        .await(
            "proxy " + workload + " ready at " + ready,
            () -> {
              if (!process.isAlive()) {
                throw new AssertionError(
                    "proxy " + workload + " exited with " + process.exitValue() + "\n" + logTail());
              }
              return status(http, ready) == 200;
            },
            this::logTail);
  }

  public URI adminUri(String path) {
    return URI.create("http://" + address + ":4191" + path);
  }

  public String workload() {
    return workload;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** The last lines the proxy printed, for failure messages. */
  public String logTail() {
    return logTail(log);
  }

  /** Whether the proxy has printed a line containing {@code text} so far. */
  public boolean logged(String text) {
    return logged(log, text);
  }

  static String logTail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "--- last lines of " + log + " ---\n"
          + lines.subList(Math.max(0, lines.size() - 40), lines.size()).stream()
              .collect(Collectors.joining("\n"));
    } catch (IOException e) {
      return "(no log at " + log + ": " + e.getMessage() + ")";
    }
  }

  static boolean logged(Path log, String text) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** The status of a GET, or -1 when nothing answered. */
  public static int status(HttpClient http, URI uri) {
    try {
      return http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * What {@code ./trellis proxy} runs on: {@link #proxyClasspath()} restricted to the jars named in
   * the launcher's cli/target/proxy-classpath.txt (proxy-streams' run-time jars, picocli, logback,
   * trellis-actors, signed jars as unsigned copies in cli/target/proxy-lib; see ./trellis), so the
   * tests catch a class the proxy needs but that file lacks. Without that file (./trellis never
   * ran in this checkout) the whole classpath.
   */
  static String sidecarClasspath() {
    Path names = Path.of(System.getProperty("user.dir")).resolveSibling("cli/target/proxy-classpath.txt");
    if (!Files.isRegularFile(names)) {
      return proxyClasspath();
    }
    try {
      java.util.Map<String, String> jars =
          Arrays.stream(Files.readString(names, StandardCharsets.UTF_8).strip().split(File.pathSeparator))
              .collect(Collectors.toMap(e -> Path.of(e).getFileName().toString(), e -> e, (a, b) -> a));
      return Arrays.stream(proxyClasspath().split(File.pathSeparator))
          .map(entry -> sidecarEntry(Path.of(entry), jars))
          .filter(entry -> entry != null)
          .collect(Collectors.joining(File.pathSeparator));
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + names, e);
    }
  }

  /**
   * A jar by its file name (the launcher's unsigned copy where it made one); a reactor module's
   * target/classes (module dir = artifactId minus "trellis-") by its jar's name; null if left out.
   * The cli module itself is never in that file (the launcher adds it), so it is kept whether the
   * reactor hands it over as target/classes or, in a reactor {@code verify}, as its packaged jar.
   */
  private static String sidecarEntry(Path entry, java.util.Map<String, String> jars) {
    if (!entry.endsWith(Path.of("target", "classes"))) {
      if (entry.getFileName().toString().startsWith("trellis-cli-")
          && entry.getParent() != null
          && entry.getParent().endsWith(Path.of("cli", "target"))) {
        return entry.toString();
      }
      String listed = jars.get(entry.getFileName().toString());
      return listed == null ? null : listed.contains("/proxy-lib/") ? listed : entry.toString();
    }
    String module = entry.getParent().getParent().getFileName().toString();
    boolean keep = module.equals("cli") || jars.keySet().stream().anyMatch(jar -> jar.startsWith("trellis-" + module + "-"));
    return keep ? entry.toString() : null;
  }

  /**
   * The test classpath minus this module's own classes: the proxy runs on exactly what the cli
   * module brings. Surefire hides the real classpath behind a manifest jar and reports it here.
   */
  static String proxyClasspath() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Arrays.stream(cp.split(File.pathSeparator))
        .filter(entry -> !entry.endsWith("test-classes") && !entry.contains("surefire"))
        .collect(Collectors.joining(File.pathSeparator));
  }
}
