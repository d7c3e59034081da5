package io.trellis.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs real command-line clients (curl, openssl, redis-cli, testssl) and captures their output. */
final class Processes {
  private Processes() {}

  record Result(int exit, String out) {}

  /** Skips the test unless {@code command} is installed (bin/test installs it). */
  static void require(String command) {
    boolean found;
    try {
      found = new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      found = false;
    }
    if (System.getenv("CI") != null && !found) {
      throw new AssertionError(command + " is not installed (bin/test installs it)");
    }
    Assumptions.assumeTrue(found, command + " is not installed (bin/test installs it)");
  }

  /** Runs {@code command} with stdin from {@code input}, stdout and stderr merged. */
  static Result run(List<String> command, String input, long timeoutSeconds) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (input != null) {
      p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + timeoutSeconds + "s");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
