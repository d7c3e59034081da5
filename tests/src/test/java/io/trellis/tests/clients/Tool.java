package io.trellis.tests.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * Runs a command-line client to completion with a deadline. Output goes to files, not pipes, so
 * a large body can never stall the process on a full pipe.
 */
public final class Tool {
  /** What a finished run left behind. */
  public record Run(List<String> command, int exit, Path stdout, Path stderr) {
    public String out() {
      return read(stdout);
    }

    public String err() {
      return read(stderr);
    }

    public byte[] outBytes() {
      try {
        return Files.readAllBytes(stdout);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Fails unless the tool exited 0, showing what it printed. */
    public Run assertSuccess() {
      Assertions.assertEquals(0, exit, () -> describe());
      return this;
    }

    public String describe() {
      return String.join(" ", command) + "\nexit " + exit + "\nstderr:\n" + err() + "\nstdout:\n"
          + truncated(out());
    }
  }

  private Tool() {}

  /**
   * Skips the test when {@code name} is missing on a developer's machine, but fails it in CI
   * ({@code CI} set), where bin/test must have installed it: a missing client never passes
   * silently there.
   */
  public static void require(String name) {
    if (installed(name)) {
      return;
    }
    String message = name + " is not installed (bin/test installs it with apt-get)";
    if (System.getenv("CI") != null) {
      throw new AssertionError(message);
    }
    org.junit.jupiter.api.Assumptions.abort(message);
  }

  /** Whether {@code name} is on the PATH. */
  public static boolean installed(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, name))) {
        return true;
      }
    }
    return false;
  }

  public static Run run(Path workDir, Duration deadline, List<String> command) {
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "stdout-", ".txt");
      Path err = Files.createTempFile(workDir, "stderr-", ".txt");
      Process p =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new AssertionError(
            "still running after " + deadline.toSeconds() + " s: " + String.join(" ", command)
                + "\nstderr:\n" + read(err));
      }
      return new Run(List.copyOf(command), p.exitValue(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("running " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + command, e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "(unreadable " + p + ")";
    }
  }

  private static String truncated(String s) {
    return s.length() > 2000 ? s.substring(0, 2000) + "... (" + s.length() + " chars)" : s;
  }
}
