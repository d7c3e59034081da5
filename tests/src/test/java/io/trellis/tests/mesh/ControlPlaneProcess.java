package io.trellis.tests.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One control-plane node as its own JVM, started as a user starts it ({@code trellis
 * control-plane --config FILE --destination H:P --node-port N}); cluster host and seed nodes come
 * from the {@code trellis.control-plane} block of that mesh.conf. The process is the JVM itself
 * (no wrapper script), so {@link #kill()} is a {@code kill -9} of the node. Output goes to a file
 * under target/.
 */
public final class ControlPlaneProcess implements AutoCloseable {
  /**
   * Small, single-GC-threaded and C1 only: three nodes start beside the proxies on a 2-core
   * machine, and a test's control plane does too little for C2 to pay off.
   */
  public static final List<String> JVM_OPTIONS =
      List.of("-Xms64m", "-Xmx192m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final String MAIN = "io.trellis.cli.Main";

  private final String name;
  private final String destination;
  private final String node;
  private final Process process;
  private final Path log;

  private ControlPlaneProcess(
      String name, String destination, String node, Process process, Path log) {
    this.name = name;
    this.destination = destination;
    this.node = node;
    this.process = process;
    this.log = log;
  }

  /**
   * @param destination the destination API's {@code host:port}
   * @param node this node's artery {@code host:port}; its host must be the one mesh.conf names
   */
  public static ControlPlaneProcess start(
      Path config, String name, String destination, String node, Path logDir) {
    Path log = logDir.resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-cp");
    command.add(ProxyProcess.proxyClasspath());
    command.add(MAIN);
    command.addAll(List.of(
        "control-plane",
        "--config", config.toString(),
        "--destination", destination,
        "--node-port", node.substring(node.lastIndexOf(':') + 1)));
    try {
      Files.createDirectories(logDir);
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      ProcessReaper.register(p);
      return new ControlPlaneProcess(name, destination, node, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("starting control plane " + name, e);
    }
  }

  /** Waits for the node's log to say {@code text}; fails early if the process exits. */
  public void awaitLogged(String text, Duration within) {
    Deadline.in(within)
        .await(
            name + " logs \"" + text + "\"",
            () -> {
              if (ProxyProcess.logged(log, text)) {
                return true;
              }
              if (!process.isAlive()) {
                throw new AssertionError(
                    name + " exited with " + process.exitValue() + "\n" + logTail());
              }
              return false;
            },
            this::logTail);
  }

  /** Listening, and this node sees {@code members} cluster members Up. */
  public void awaitReady(int members, Duration within) {
    Deadline deadline = Deadline.in(within);
    awaitLogged("control plane ready: destination API on", deadline.remaining());
    awaitLogged("cluster members up: " + members + " ", deadline.remaining());
  }

  public boolean logged(String text) {
    return ProxyProcess.logged(log, text);
  }

  /** {@code kill -9}: SIGKILL to the node's JVM; returns once it is gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new AssertionError(name + " (pid " + process.pid() + ") survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted killing " + name, e);
    }
  }

  public String name() {
    return name;
  }

  /** The destination API's {@code host:port}, as proxies' {@code --control-plane} takes it. */
  public String destination() {
    return destination;
  }

  /** The cluster (artery) {@code host:port}, as the cluster log lines name members. */
  public String node() {
    return node;
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

  public String logTail() {
    return ProxyProcess.logTail(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
