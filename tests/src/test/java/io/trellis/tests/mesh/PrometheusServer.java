package io.trellis.tests.mesh;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, which bin/test installs) on a
 * free loopback port, with its configuration and TSDB in a temp dir. It is never skipped: a
 * machine without the binary fails the test with what to run.
 */
public final class PrometheusServer implements AutoCloseable {
  private static final Duration READY_WITHIN = Duration.ofSeconds(60);

  private final Process process;
  private final String url;
  private final Path log;

  private PrometheusServer(Process process, String url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** The {@code prometheus} binary on PATH, or a failure saying how to get it. */
  static Path binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, "prometheus");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new AssertionError("the prometheus binary is not on PATH: run bin/test, which installs"
        + " Debian's prometheus package (or: sudo apt-get install prometheus)");
  }

  /** Starts Prometheus with {@code config} (a prometheus.yml) and waits until it is ready. */
  public static PrometheusServer start(String config, Path dir, Path logDir) {
    Path bin = binary();
    String host = "127.0.0.1";
    int port = FreePorts.on(host, 1).get(0);
    try {
      Files.createDirectories(dir);
      Files.createDirectories(logDir);
      Path yml = dir.resolve("prometheus.yml");
      Files.writeString(yml, config);
      Files.copy(yml, logDir.resolve("prometheus.yml"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Path log = logDir.resolve("prometheus.log");
      Process p = new ProcessBuilder(List.of(
              bin.toString(),
              "--config.file=" + yml,
              "--storage.tsdb.path=" + dir.resolve("data"),
              "--web.listen-address=" + host + ":" + port,
              "--log.level=warn"))
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      ProcessReaper.register(p);
      PrometheusServer server = new PrometheusServer(p, "http://" + host + ":" + port, log);
      server.awaitReady();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("starting prometheus", e);
    }
  }

  private void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Deadline.in(READY_WITHIN).await("prometheus ready at " + url, () -> {
      if (!process.isAlive()) {
        throw new AssertionError("prometheus exited with " + process.exitValue() + "\n" + logTail());
      }
      try {
        return http.send(HttpRequest.newBuilder(URI.create(url + "/-/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }, this::logTail);
  }

  public String url() {
    return url;
  }

  public String logTail() {
    return ProxyProcess.logTail(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
