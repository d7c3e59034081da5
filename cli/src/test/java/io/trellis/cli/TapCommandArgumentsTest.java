package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Bad input to {@code trellis tap} and {@code trellis top}: exit code 2, the flag named. */
class TapCommandArgumentsTest {
  static ProxyCommandArgumentsTest.Result run(String... args) {
    return ProxyCommandArgumentsTest.run(args);
  }

  @Test
  void badSinceNamesTheFlag() {
    var r = run("tap", "deploy/web", "--since", "five minutes ago");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--since five minutes ago: not a duration"), r.err());
  }

  @Test
  void badOutputNamesTheChoices() {
    var r = run("tap", "deploy/web", "-o", "yaml");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("-o yaml: wide or json"), r.err());
    var top = run("top", "deploy/web", "-o", "wide");
    assertEquals(2, top.code());
    assertTrue(top.err().contains("-o wide: only json"), top.err());
  }

  @Test
  void negativeMaxRpsAndBadControlPlaneAreRefused() {
    var r = run("top", "deploy/web", "--max-rps", "-1");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--max-rps -1.0: must be 0 or more"), r.err());
    var cp = run("tap", "deploy/web", "--control-plane", "localhost");
    assertEquals(2, cp.code());
    assertTrue(cp.err().contains("--control-plane localhost"), cp.err());
  }

  @Test
  void aResourceIsRequired() {
    var r = run("tap");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("RESOURCE"), r.err());
  }
}
