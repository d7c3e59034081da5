package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.ControlPlaneProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.ProxyProcess;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Control-plane high availability end to end (issue 4): three control-plane JVMs in one Pekko
 * Cluster (seed nodes and keep-majority SBR from mesh.conf), proxies for {@code client},
 * {@code server-a} and {@code server-b} taking their mesh from it, and steady traffic from
 * client to echo-svc (on server-a).
 *
 * <p>Every proxy lists node 0 first, so node 0 serves all their destination streams (checked:
 * no proxy has logged a failover before the kill). The test {@code kill -9}s node 0's JVM while
 * traffic runs and then requires:
 *
 * <ul>
 *   <li>no failed request, before, during and after the kill;
 *   <li>the proxies' streams move to a surviving node (their failover log line), and the
 *       survivors remove the dead node (split brain resolver, keep-majority);
 *   <li>an endpoint change made afterwards (mesh.conf moves echo-svc from server-a to server-b)
 *       reaches the client's proxy through the survivors: requests go to server-b, still with
 *       no failure.
 * </ul>
 *
 * Logs of every JVM are under target/mesh-logs/ControlPlaneHaScenarioTest/.
 */
class ControlPlaneHaScenarioTest {
  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(
              MeshSpec.empty()
                  .service(MeshFixture.SERVICE)
                  .client("client")
                  .server("server-a", MeshFixture.SERVICE)
                  .server("server-b"))
          // The default 20 s is for production; 5 s keeps the test short and is still far above
          // a loopback heartbeat's jitter.
          .withControlPlanes(3, "downing-stable-after = 5s");

  /** Pace of the steady traffic, and the requests after the kill that make "~10 s" of it. */
  private static final int RATE_PER_SECOND = 20;
  private static final int REQUESTS_AFTER_KILL = 10 * RATE_PER_SECOND;

  @Test
  void killingTheNodeThatServesTheProxiesFailsNoRequestAndLaterChangesStillArrive()
      throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server-a", "server-b"));

    ControlPlaneProcess victim = mesh.controlPlane(0);
    List<ControlPlaneProcess> survivors = mesh.controlPlanes().subList(1, 3);
    List<ProxyProcess> proxies =
        List.of(mesh.proxy("client"), mesh.proxy("server-a"), mesh.proxy("server-b"));
    assertTrue(
        ProcessHandle.of(victim.pid()).flatMap(h -> h.info().command()).orElse("").endsWith("java"),
        "the process to kill is the node's JVM itself");

    // One worker at a steady pace; each response's body must name the backend that served it.
    SteadyTraffic traffic =
        SteadyTraffic.start(echo, "/whoami", 1, RATE_PER_SECOND, Duration.ofSeconds(10), true);
    try (traffic) {
      traffic.awaitServed("server-a", 40, Duration.ofSeconds(30), mesh::proxyLogs);
      // Every proxy is still on the first address of its list: node 0 serves its streams.
      for (ProxyProcess p : proxies) {
        assertFalse(
            p.logged("stream ended"),
            () -> p.workload() + " moved off node 0 before the kill\n" + p.logTail());
      }

      long atKill = traffic.completed();
      long killedAt = System.nanoTime();
      victim.kill();
      System.out.println("killed " + victim.name() + " (pid " + victim.pid() + ") after "
          + atKill + " requests");

      // The proxies' streams leave the dead node for the next one in their list.
      String failover = "control plane " + victim.destination() + ": stream ended";
      String nextNode = "next attempt on " + survivors.get(0).destination();
      for (ProxyProcess p : proxies) {
        Deadline.in(Duration.ofSeconds(20))
            .await(
                p.workload() + "'s streams move to " + survivors.get(0).name(),
                () -> p.logged(failover) && p.logged(nextNode),
                p::logTail);
      }
      // The survivors down and remove the dead node (SBR keep-majority after stable-after).
      for (ControlPlaneProcess cp : survivors) {
        cp.awaitLogged("cluster member " + victim.node() + " removed", Duration.ofSeconds(40));
      }
      System.out.printf("dead node removed %d ms after the kill%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
      // ~10 s of traffic since the kill (at the pace, counted, not slept).
      Deadline.in(Duration.ofSeconds(40))
          .await(
              REQUESTS_AFTER_KILL + " requests after the kill",
              () ->
                  traffic.completed() - atKill >= REQUESTS_AFTER_KILL
                      || !traffic.failures().isEmpty(),
              () ->
                  "completed " + (traffic.completed() - atKill) + ", failures: "
                      + traffic.failures());
      assertEquals(
          List.of(), traffic.failures(), () -> "failed requests around the kill\n" + mesh.proxyLogs());
      assertTrue(
          traffic.count("server-a") > 0 && traffic.count("server-b") == 0,
          () -> "served: " + traffic.servedBy());

      // An endpoint change made now reaches the proxies through the surviving nodes.
      long editAt = System.nanoTime();
      mesh.edit(
          spec -> spec.withServes("server-a").withServes("server-b", MeshFixture.SERVICE), false);
      traffic.awaitServed("server-b", 20, Duration.ofSeconds(30), mesh::proxyLogs);
      System.out.printf("server-b serves %d ms after the edit%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - editAt));
      traffic.awaitOnly("server-b", 20, Duration.ofSeconds(20));
    }
    assertEquals(List.of(), traffic.failures(), () -> "failed requests\n" + mesh.proxyLogs());
    for (ControlPlaneProcess cp : survivors) {
      assertTrue(cp.alive(), () -> cp.name() + " still runs\n" + cp.logTail());
    }
    System.out.println(
        "served: " + traffic.servedBy() + " in " + traffic.completed() + " requests");
  }
}
