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

/**
 * Bad input to {@code trellis proxy} ends with exit code 2 and a message that says what is wrong.
 */
class ProxyCommandArgumentsTest {
  @TempDir Path dir;

  record Result(int code, String err) {}

  static Result run(String... args) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    return new Result(code, err.toString());
  }

  @Test
  void missingOptionsAreUsageErrors() {
    Result r = run("proxy", "--config", "mesh.conf");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Missing required option: '--workload=NAME'"), r.err());
  }

  @Test
  void noCommandIsAUsageError() {
    assertEquals(2, run().code());
  }

  @Test
  void missingFileIsNamed() {
    Result r = run("proxy", "--config", dir.resolve("nope.conf").toString(), "--workload", "web");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nope.conf: no such file"), r.err());
  }

  @Test
  void invalidMeshConfGivesTheLoadersMessage() throws IOException {
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(
        conf, "trellis.mesh {\n  namespace = demo\n  services { web { port = eighty } }\n}\n");
    Result r = run("proxy", "--config", conf.toString(), "--workload", "web");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("trellis proxy: "), r.err());
    assertTrue(r.err().contains("mesh.conf"), r.err());
    assertTrue(r.err().contains("port"), r.err());
  }

  @Test
  void unknownWorkloadListsTheKnownOnes() throws IOException {
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(
        conf,
        "trellis.mesh {\n"
            + "  namespace = demo\n"
            + "  services { web { port = 80 } }\n"
            + "  workloads {\n"
            + "    web { address = \"127.78.0.1\", app-port = 8080, serves = [web] }\n"
            + "    api { address = \"127.78.0.2\", app-port = 8080, serves = [] }\n"
            + "  }\n"
            + "}\n");
    Result r = run("proxy", "--config", conf.toString(), "--workload", "nope");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no workload 'nope' (workloads: api, web)"), r.err());
  }
}
