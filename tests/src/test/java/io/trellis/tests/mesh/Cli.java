package io.trellis.tests.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code trellis} command line as a user would: its own JVM, on the cli's classpath. */
public final class Cli {
  /** What a command printed and how it ended. */
  public record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private Cli() {}

  public static Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        ProxyProcess.proxyClasspath(), "io.trellis.cli.Main"));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).start();
      ProcessReaper.register(p);
      var out = p.getInputStream();
      var err = p.getErrorStream();
      var errText = new java.util.concurrent.CompletableFuture<String>();
      Thread t = new Thread(() -> {
        try {
          errText.complete(new String(err.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
          errText.complete("(stderr unreadable: " + e + ")");
        }
      });
      t.start();
      String outText = new String(out.readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("trellis " + String.join(" ", args) + " did not end in 60 s");
      }
      return new Result(p.exitValue(), outText, errText.join());
    } catch (IOException e) {
      throw new UncheckedIOException("running trellis " + String.join(" ", args), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
