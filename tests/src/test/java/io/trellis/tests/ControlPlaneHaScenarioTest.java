package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Backend;
import io.trellis.tests.mesh.ControlPlaneProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.ProxyProcess;
import io.trellis.tests.mesh.Target;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
  private static final int MAX_REQUESTS = 3_000;
  private static final Duration MAX_RUN = Duration.ofSeconds(120);

  private final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
  private final AtomicLong completed = new AtomicLong();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

  @Test
  void killingTheNodeThatServesTheProxiesFailsNoRequestAndLaterChangesStillArrive()
      throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    warmUp(client, echo);

    ControlPlaneProcess victim = mesh.controlPlane(0);
    List<ControlPlaneProcess> survivors = mesh.controlPlanes().subList(1, 3);
    List<ProxyProcess> proxies =
        List.of(mesh.proxy("client"), mesh.proxy("server-a"), mesh.proxy("server-b"));
    assertTrue(
        ProcessHandle.of(victim.pid()).flatMap(h -> h.info().command()).orElse("").endsWith("java"),
        "the process to kill is the node's JVM itself");

    AtomicBoolean stop = new AtomicBoolean();
    Thread traffic = new Thread(() -> steadyTraffic(client, echo, stop), "steady-traffic");
    traffic.start();
    try {
      awaitServed("server-a", 40);
      // Every proxy is still on the first address of its list: node 0 serves its streams.
      for (ProxyProcess p : proxies) {
        assertFalse(
            p.logged("stream ended"),
            () -> p.workload() + " moved off node 0 before the kill\n" + p.logTail());
      }

      long atKill = completed.get();
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
              () -> completed.get() - atKill >= REQUESTS_AFTER_KILL || !failures.isEmpty(),
              () -> "completed " + (completed.get() - atKill) + ", failures: " + failures);
      assertEquals(List.of(), failures, () -> "failed requests around the kill\n" + mesh.proxyLogs());
      assertTrue(count("server-a") > 0 && count("server-b") == 0, () -> "served: " + servedBy);

      // An endpoint change made now reaches the proxies through the surviving nodes.
      long editAt = System.nanoTime();
      mesh.edit(
          spec -> spec.withServes("server-a").withServes("server-b", MeshFixture.SERVICE), false);
      awaitServed("server-b", 20);
      System.out.printf("server-b serves %d ms after the edit%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - editAt));
      awaitOnly("server-b");
    } finally {
      stop.set(true);
      traffic.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertFalse(traffic.isAlive(), "the traffic loop stops");
    assertEquals(List.of(), failures, () -> "failed requests\n" + mesh.proxyLogs());
    for (ControlPlaneProcess cp : survivors) {
      assertTrue(cp.alive(), () -> cp.name() + " still runs\n" + cp.logTail());
    }
    System.out.println("served: " + servedBy + " in " + completed.get() + " requests");
  }

  /**
   * A first 200 along each path the test uses, before counting: a fresh proxy JVM compiles its
   * connection code on its first requests, which on a loaded machine can outlast the inbound
   * connect timeout. server-b is warmed straight at its inbound proxy (it serves nothing yet).
   */
  private static void warmUp(HttpClient client, Target echo) {
    List<URI> paths = new ArrayList<>();
    paths.add(echo.uri("/whoami"));
    for (String server : List.of("server-a", "server-b")) {
      paths.add(URI.create("http://" + mesh.address(server) + ":4143/whoami"));
    }
    for (URI uri : paths) {
      String[] last = {"none"};
      Deadline.in(Duration.ofSeconds(30))
          .await(
              "a first 200 from " + uri,
              () -> {
                try {
                  HttpResponse<String> r =
                      client.send(
                          HttpRequest.newBuilder(uri)
                              .header("Host", echo.authority())
                              .timeout(Duration.ofSeconds(5))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  last[0] = r.statusCode() + " " + r.body();
                } catch (Exception e) {
                  last[0] = e.toString();
                }
                if (!last[0].startsWith("200 ")) {
                  System.out.println("warm-up " + uri + ": " + last[0].trim());
                }
                return last[0].startsWith("200 ");
              },
              () -> last[0]);
    }
  }

  /** GETs at {@link #RATE_PER_SECOND} until told to stop, bounded in count and time. */
  private void steadyTraffic(HttpClient client, Target echo, AtomicBoolean stop) {
    Deadline deadline = Deadline.in(MAX_RUN);
    long interval = TimeUnit.SECONDS.toNanos(1) / RATE_PER_SECOND;
    long next = System.nanoTime();
    for (int i = 0; i < MAX_REQUESTS && !stop.get() && !deadline.passed(); i++) {
      HttpRequest get =
          HttpRequest.newBuilder(echo.uri("/whoami"))
              .header("Host", echo.authority())
              .timeout(Duration.ofSeconds(10))
              .build();
      try {
        HttpResponse<String> r = client.send(get, HttpResponse.BodyHandlers.ofString());
        String server = r.headers().firstValue(Backend.SERVED_BY).orElse("?");
        if (r.statusCode() != 200 || !r.body().contains(server)) {
          failures.add("request " + i + ": " + r.statusCode() + " from " + server + ": " + r.body());
        } else {
          servedBy.computeIfAbsent(server, k -> new AtomicLong()).incrementAndGet();
        }
      } catch (Exception e) {
        failures.add("request " + i + ": " + e);
      }
      completed.incrementAndGet();
      next += interval;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait); // pacing the load, not waiting for state
      } else {
        next = System.nanoTime();
      }
    }
  }

  private long count(String server) {
    AtomicLong n = servedBy.get(server);
    return n == null ? 0 : n.get();
  }

  private void awaitServed(String server, long atLeast) {
    Deadline.in(Duration.ofSeconds(30))
        .await(
            server + " served " + atLeast + " requests",
            () -> count(server) >= atLeast || !failures.isEmpty(),
            () -> "served: " + servedBy + ", failures: " + failures + "\n" + mesh.proxyLogs());
    assertEquals(List.of(), failures, () -> "failed requests\n" + mesh.proxyLogs());
  }

  /** Waits until 20 responses in a row came from {@code server}: the old endpoint is drained. */
  private void awaitOnly(String server) {
    long[] mark = {count(server), totalServed()};
    Deadline.in(Duration.ofSeconds(20))
        .await(
            "only " + server + " serves",
            () -> {
              long ours = count(server) - mark[0];
              long all = totalServed() - mark[1];
              if (ours != all) {
                mark[0] = count(server);
                mark[1] = totalServed();
                return false;
              }
              return ours >= 20;
            },
            () -> "served: " + servedBy);
  }

  private long totalServed() {
    return servedBy.values().stream().mapToLong(AtomicLong::get).sum();
  }
}
