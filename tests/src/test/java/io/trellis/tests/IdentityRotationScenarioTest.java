package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.identity.pem.Pem;
import io.trellis.tests.mesh.Cli;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.ProxyProcess;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issuer and trust-anchor rotation under steady mTLS traffic (issue 6, Linkerd's #3452): a
 * control plane with its CA in the state directory, two proxies with 30 s leaves (renewed every
 * ~21 s, so renewals happen during the test), and steady traffic client → server through both.
 * As an operator does, the test runs {@code trellis identity rotate-issuer}, waits until both
 * proxies hold leaves from the new issuer, then rotates the anchor ({@code rotate-anchor
 * prepare}, wait for the overlap bundle in both proxies, {@code switch}, wait for leaves from the
 * new issuer, {@code finish}, wait for the new anchor alone), and requires that no request failed.
 */
class IdentityRotationScenarioTest {
  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(MeshFixture.clientAndServer())
          .withControlPlanes(1)
          .withMeshSettings("trellis.identity { leaf-lifetime = 30s }");

  private static final int RATE_PER_SECOND = 20;
  /** A renewal (21 s) plus the control plane's poll and the retries of a loaded machine. */
  private static final Duration RENEWAL = Duration.ofSeconds(60);
  /** The proxies re-read the bundle every 10 s. */
  private static final Duration BUNDLE = Duration.ofSeconds(40);

  @Test
  void rotatingTheIssuerAndThenTheAnchorFailsNoRequest() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server"));
    List<ProxyProcess> proxies = List.of(mesh.proxy("client"), mesh.proxy("server"));
    String config = mesh.config().toString();
    Path ca = mesh.config().resolveSibling(".trellis").resolve("ca");

    SteadyTraffic traffic =
        SteadyTraffic.start(echo, "/whoami", 1, RATE_PER_SECOND, Duration.ofSeconds(10), true);
    long started = System.nanoTime();
    try (traffic) {
      traffic.awaitServed("server", 40, Duration.ofSeconds(30), mesh::proxyLogs);

      // 1. A new issuer under the same anchor: proxies renew onto it.
      run("identity", "rotate-issuer", "--config", config);
      String issuer = serial(ca.resolve("issuer.crt"));
      awaitLeavesFrom(issuer, proxies, started, "rotate-issuer");
      traffic.awaitServed("server", traffic.count("server") + 20, RENEWAL, mesh::proxyLogs);

      // 2. The anchor: overlap bundle, then the new issuer, then the new anchor alone.
      run("identity", "rotate-anchor", "prepare", "--config", config);
      awaitLogged("identity: trust bundle changed: now 2 anchor(s)", proxies, BUNDLE, started,
          "prepare");
      run("identity", "rotate-anchor", "switch", "--config", config);
      String nextIssuer = serial(ca.resolve("issuer.crt"));
      awaitLeavesFrom(nextIssuer, proxies, started, "switch");
      run("identity", "rotate-anchor", "finish", "--config", config);
      awaitLogged("identity: trust bundle changed: now 1 anchor(s)", proxies, BUNDLE, started,
          "finish");
      // Traffic goes on over new connections verified against the new anchor alone.
      traffic.awaitServed("server", traffic.count("server") + 2L * RATE_PER_SECOND,
          Duration.ofSeconds(30), mesh::proxyLogs);
    }
    System.out.printf("rotation under traffic: %d requests, %d failed, %d s%n",
        traffic.completed(), traffic.failures().size(),
        Duration.ofNanos(System.nanoTime() - started).toSeconds());
    assertEquals(List.of(), traffic.failures(), mesh::proxyLogs);
  }

  private static void run(String... args) {
    Cli.Result r = Cli.run(args);
    System.out.println("trellis " + String.join(" ", args) + "\n" + r.out() + r.err());
    assertEquals(0, r.exitCode(), r::toString);
  }

  private static String serial(Path certificate) throws Exception {
    return Pem.readCertificates(certificate).get(0).getSerialNumber().toString(16);
  }

  /** Both proxies logged a certificate from the issuer with {@code serial}. */
  private static void awaitLeavesFrom(
      String serial, List<ProxyProcess> proxies, long started, String step) {
    awaitLogged("(issuer serial " + serial + ")", proxies, RENEWAL, started, step);
  }

  private static void awaitLogged(
      String text, List<ProxyProcess> proxies, Duration within, long started, String step) {
    long from = System.nanoTime();
    Deadline deadline = Deadline.in(within);
    for (ProxyProcess p : proxies) {
      deadline.await(p.workload() + " logged " + text, () -> p.logged(text), p::logTail);
    }
    System.out.printf("%s: both proxies logged '%s' after %d ms (t=%d s)%n", step, text,
        Duration.ofNanos(System.nanoTime() - from).toMillis(),
        Duration.ofNanos(System.nanoTime() - started).toSeconds());
  }
}
