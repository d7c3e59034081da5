package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.Cli;
import io.trellis.tests.mesh.ControlPlaneProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A TrafficSplit acted on by real proxies under steady traffic: {@code trellis apply} of a
 * v1alpha1 split (900m / 100m) sends a share to the canary; applying new weights (all to the
 * canary, then all back) moves the traffic within a second or two of the apply, and no request
 * fails along the way; {@code trellis stat ts} shows APEX, LEAF, WEIGHT and live numbers.
 */
class TrafficSplitScenarioTest {
  private static final String CANARY = "canary-svc";

  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(
              MeshSpec.empty()
                  .service(MeshFixture.SERVICE)
                  .service(CANARY)
                  .client("client")
                  .server("server-a", MeshFixture.SERVICE)
                  .server("server-b", CANARY))
          .withControlPlanes(1);

  private static Path split(String name, String apexWeight, String canaryWeight) throws Exception {
    return Files.writeString(mesh.config().resolveSibling(name), """
        apiVersion: split.smi-spec.io/v1alpha1
        kind: TrafficSplit
        metadata:
          name: echo-split
        spec:
          service: %s
          backends:
          - service: %s
            weight: %s
          - service: %s
            weight: %s
        """.formatted(MeshFixture.SERVICE, MeshFixture.SERVICE, apexWeight, CANARY,
        canaryWeight));
  }

  private static void apply(String cp, Path file) {
    Cli.Result r = Cli.run("apply", "-f", file.toString(), "--control-plane", cp);
    assertEquals(0, r.exitCode(), r::toString);
  }

  /**
   * Milliseconds from now until the first of 20 responses in a row from {@code server}, probing
   * one request at a time (the switch-over as a single client sees it).
   */
  private static long switchedAfter(Target target, String server) {
    long start = System.nanoTime();
    long[] runStart = {0};
    int[] run = {0};
    HttpClient client = HttpClient.newHttpClient();
    Deadline.in(Duration.ofSeconds(20)).await("20 responses in a row from " + server, () -> {
      long sent = System.nanoTime();
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(target.uri("/whoami"))
                .header("Host", target.authority()).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains(server)) {
          if (run[0]++ == 0) {
            runStart[0] = sent;
          }
        } else {
          run[0] = 0;
        }
      } catch (Exception e) {
        run[0] = 0;
      }
      return run[0] >= 20;
    });
    return TimeUnit.NANOSECONDS.toMillis(runStart[0] - start);
  }

  @Test
  void newWeightsUnderSteadyTrafficFailNoRequestAndStatTsShowsTheLeaves() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server-a", "server-b"));
    ControlPlaneProcess cp = mesh.controlPlane(0);

    try (SteadyTraffic traffic =
        SteadyTraffic.start(echo, "/whoami", 4, 25, Duration.ofSeconds(10), true)) {
      traffic.awaitServed("server-a", 20, Duration.ofSeconds(30), mesh::proxyLogs);

      apply(cp.destination(), split("split-90-10.yaml", "900m", "100m"));
      traffic.awaitServed("server-b", 30, Duration.ofSeconds(30), mesh::proxyLogs);

      apply(cp.destination(), split("split-0-1.yaml", "0", "1"));
      System.out.printf("all traffic on the canary %d ms after trellis apply returned%n",
          switchedAfter(echo, "server-b"));
      traffic.awaitOnly("server-b", 100, Duration.ofSeconds(20));

      // stat ts while traffic flows: one row per leaf, with live numbers
      String[] last = {""};
      Deadline.in(Duration.ofSeconds(30)).await("stat ts shows the canary's live traffic", () -> {
        Cli.Result ts = Cli.run("stat", "ts", "--control-plane", cp.destination());
        last[0] = ts.toString();
        return ts.exitCode() == 0 && ts.out().lines().anyMatch(l ->
            l.matches("echo-split\\s+" + MeshFixture.SERVICE + "\\s+" + CANARY
                + "\\s+1\\s+100\\.00%\\s+[1-9].*"));
      }, () -> last[0]);
      System.out.println("trellis stat ts:\n" + last[0]);
      assertTrue(last[0].lines().anyMatch(l ->
          l.matches("echo-split\\s+" + MeshFixture.SERVICE + "\\s+" + MeshFixture.SERVICE
              + "\\s+0\\s+.*")), last[0]);

      apply(cp.destination(), split("split-1-0.yaml", "1", "0"));
      System.out.printf("all traffic back on the apex %d ms after trellis apply returned%n",
          switchedAfter(echo, "server-a"));
      traffic.awaitOnly("server-a", 100, Duration.ofSeconds(20));
      assertEquals(List.of(), traffic.failures(), mesh::proxyLogs);
      System.out.println("served: " + traffic.servedBy() + ", completed: " + traffic.completed());
    }
  }
}
