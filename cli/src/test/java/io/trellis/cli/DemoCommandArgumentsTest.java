package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trellis demo} refuses clearly, before starting anything, when it cannot run. */
class DemoCommandArgumentsTest {
  @TempDir Path dir;

  record Result(int code, String err) {}

  private Result run(String... args) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    return new Result(code, err.toString());
  }

  /** A demo mesh on 127.0.Y.11..14 (not the real demo's block, which a developer may be running). */
  private Path mesh(String net, String... workloads) throws IOException {
    StringBuilder w = new StringBuilder();
    int host = 11;
    for (String name : workloads) {
      w.append("    ").append(name).append(" { address = \"").append(net).append(host++)
          .append("\", app-port = 8080").append(name.equals("vote-bot") ? "" : ", serves = [" + name + "-svc]")
          .append(" }\n");
    }
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(
        conf,
        "trellis.mesh {\n  namespace = emojivoto\n  services {\n"
            + "    web-svc { port = 80 }\n    emoji-svc { port = 8080 }\n    voting-svc { port = 8080 }\n"
            + "  }\n  workloads {\n" + w + "  }\n}\n");
    return conf;
  }

  private static String net() {
    return "127.0." + (20 + ThreadLocalRandom.current().nextInt(230)) + ".";
  }

  @Test
  void aSocketInUseIsNamedAndNothingStarts() throws IOException {
    String net = net();
    Path conf = mesh(net, "web", "emoji", "voting", "vote-bot");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(net + "13", 4191));
      Result r = run("demo", "--config", conf.toString(), "--logs", dir.resolve("logs").toString(),
          "--control-plane-port", Integer.toString(ResourceCommandsTest.freePort()));
      assertEquals(1, r.code(), r.err());
      assertTrue(r.err().contains("voting: admin " + net + "13:4191"), r.err());
      assertTrue(r.err().contains("another `trellis demo`"), r.err());
    }
  }

  @Test
  void aControlPlanePortInUseIsNamedWithTheFlag() throws IOException {
    Path conf = mesh(net(), "web", "emoji", "voting", "vote-bot");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      Result r = run("demo", "--config", conf.toString(), "--logs", dir.resolve("logs").toString(),
          "--control-plane-port", Integer.toString(port));
      assertEquals(1, r.code(), r.err());
      assertTrue(r.err().contains("127.0.0.1:" + port + " is already in use")
          && r.err().contains("--control-plane-port PORT"), r.err());
    }
  }

  @Test
  void aMeshWithoutTheDemoWorkloadsIsAConfigError() throws IOException {
    Path conf = mesh(net(), "web", "emoji");
    Result r = run("demo", "--config", conf.toString(), "--logs", dir.resolve("logs").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("missing [voting, vote-bot]"), r.err());
  }

  @Test
  void missingConfigAndBadOptionsAreConfigErrors() throws IOException {
    assertEquals(2, run("demo", "--config", dir.resolve("nope.conf").toString()).code());
    Path conf = mesh(net(), "web", "emoji", "voting", "vote-bot");
    Result rate = run("demo", "--config", conf.toString(), "--rate", "0");
    assertEquals(2, rate.code());
    assertTrue(rate.err().contains("--rate"), rate.err());
    Result timeout = run("demo", "--config", conf.toString(), "--ready-timeout", "soon");
    assertEquals(2, timeout.code());
    assertTrue(timeout.err().contains("--ready-timeout"), timeout.err());
  }
}
