package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Editing mesh.conf while the proxies run: moving echo-svc from server-a to server-b (and back)
 * takes effect without a restart, and steady traffic across both edits sees no failed request,
 * including the requests in flight to the old endpoint when the edit lands.
 */
class MeshConfigReloadTest {
  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(
          MeshSpec.empty()
              .service(MeshFixture.SERVICE)
              .client("client")
              .server("server-a", MeshFixture.SERVICE)
              .server("server-b"));

  private static final Duration WITHIN = Duration.ofSeconds(45);

  @Test
  void endpointMovesFollowEditsWithoutFailingRequests() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server-a", "server-b"));
    // Four workers back to back, each request held 10 ms by the backend, so edits land while
    // requests are in flight to the old endpoint.
    SteadyTraffic traffic =
        SteadyTraffic.start(echo, "/slow?ms=10", 4, 0, Duration.ofSeconds(20), false);
    try (traffic) {
      traffic.awaitServed("server-a", 20, WITHIN, mesh::proxyLogs);

      // Edit 1, in place (as `echo > mesh.conf` or most editors do).
      mesh.edit(spec -> spec.withServes("server-a").withServes("server-b", MeshFixture.SERVICE), false);
      traffic.awaitServed("server-b", 20, WITHIN, mesh::proxyLogs);
      traffic.awaitOnly("server-b", 50, WITHIN);

      // Edit 2, by atomic rename (as editors that write a temp file and move it do).
      long aBefore = traffic.count("server-a");
      mesh.edit(spec -> spec.withServes("server-b").withServes("server-a", MeshFixture.SERVICE), true);
      traffic.awaitServed("server-a", aBefore + 20, WITHIN, mesh::proxyLogs);
      traffic.awaitOnly("server-a", 50, WITHIN);
    }
    assertEquals(List.of(), traffic.failures(), () -> "failed requests\n" + mesh.proxyLogs());
    assertTrue(
        traffic.count("server-a") > 0 && traffic.count("server-b") > 0,
        () -> "served: " + traffic.servedBy());
  }
}
