package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to {@code trellis control-plane} ends with exit code 2 and says what is wrong. */
class ControlPlaneCommandArgumentsTest {
  @TempDir Path dir;

  static ProxyCommandArgumentsTest.Result run(String... args) {
    return ProxyCommandArgumentsTest.run(args);
  }

  @Test
  void missingFileIsNamed() {
    var r = run("control-plane", "--config", dir.resolve("nope.conf").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nope.conf: no such file"), r.err());
  }

  @Test
  void badSeedNamesTheOption() throws IOException {
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(conf, "trellis.mesh { namespace = demo }\n");
    var r = run("control-plane", "--config", conf.toString(), "--seed", "127.0.0.1");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--seed") && r.err().contains("host:port"), r.err());
  }

  @Test
  void badControlPlaneBlockNamesTheKey() throws IOException {
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(conf, """
        trellis.mesh { namespace = demo }
        trellis.control-plane { destination = "127.0.0.1:99999" }
        """);
    var r = run("control-plane", "--config", conf.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("trellis.control-plane.destination"), r.err());
  }

  @Test
  void anIncompleteCaInTheStateDirectoryNamesTheFiles() throws IOException {
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(conf, """
        trellis.mesh { namespace = demo }
        trellis.control-plane { destination = "127.0.0.1:%d", node = "127.0.0.1:%d" }
        """.formatted(freePort(), freePort()));
    Files.createDirectories(dir.resolve(".trellis/ca"));
    Files.writeString(dir.resolve(".trellis/ca/anchor.crt"), "not a certificate\n");
    var r = run("control-plane", "--config", conf.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(".trellis/ca") && r.err().contains("issuer.key"), r.err());
  }

  private static int freePort() throws IOException {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
