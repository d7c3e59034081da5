package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The examples at the repository root load, so that they never rot. */
class ExamplesTest {
  // Surefire runs in the module directory and sets basedir; examples/ is beside the module.
  private static final Path EXAMPLES =
      Path.of(System.getProperty("basedir", ".")).resolve("../examples").normalize();

  @Test
  void exampleMeshLoads() {
    MeshConfig mesh = MeshConfigLoader.load(EXAMPLES.resolve("mesh.conf"));
    assertEquals("emojivoto", mesh.namespace());
    assertEquals(4, mesh.workloads().size());
    assertEquals(1, mesh.endpointsOf("legacy").size());
    assertEquals(2, mesh.profiles().size());
    assertEquals(1, mesh.splits().size());

    ServiceProfile web = mesh.profileOf("web-svc").orElseThrow();
    assertTrue(mesh.profileOf("voting-svc").isEmpty());
    assertEquals(1000, mesh.splitOf("web-svc").orElseThrow().totalWeightMilli());
    assertEquals("web-canary", mesh.services().get("web-svc").routing().get(0).backend());
    ServiceProfile.Route vote = web.routeFor("GET", "/api/vote").orElseThrow();
    assertTrue(vote.retryable());
    assertEquals(Duration.ofMillis(300), vote.timeout());
    assertEquals("GET /", web.routeFor("GET", "/js/app.js").orElseThrow().name());
    assertEquals(9991, mesh.workloads().get("voting").proxy().admin().port());
  }
}
