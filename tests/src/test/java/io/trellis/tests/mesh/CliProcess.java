package io.trellis.tests.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code trellis} command run as a user runs it: its own JVM on the built classpath, stdout and
 * stderr kept apart (in files under the log dir), killed if it outlives {@code within}.
 */
public final class CliProcess {
  private static final String MAIN = "io.trellis.cli.Main";
  private final Process process;
  private final Path out;
  private final Path err;
  private final String commandLine;

  private CliProcess(Process process, Path out, Path err, String commandLine) {
    this.process = process;
    this.out = out;
    this.err = err;
    this.commandLine = commandLine;
  }

  /** Starts {@code trellis ARGS...}; {@code name} names its output files in {@code logDir}. */
  public static CliProcess start(Path logDir, String name, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(ProxyProcess.proxyClasspath());
    command.add(MAIN);
    command.addAll(List.of(args));
    Path out = logDir.resolve(name + ".out");
    Path err = logDir.resolve(name + ".err");
    try {
      Files.createDirectories(logDir);
      Process p =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      ProcessReaper.register(p);
      return new CliProcess(p, out, err, "trellis " + String.join(" ", args));
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + name, e);
    }
  }

  /** Waits for the command to exit and returns its exit code; fails after {@code within}. */
  public int await(Duration within) {
    try {
      if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(commandLine + " still running after " + within
            + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  public String stdout() {
    return read(out);
  }

  public String stderr() {
    return read(err);
  }

  public String commandLine() {
    return commandLine;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(" + file + ": " + e.getMessage() + ")";
    }
  }
}
