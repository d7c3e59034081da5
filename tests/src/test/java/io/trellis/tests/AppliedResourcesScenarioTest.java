package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.ControlPlaneProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code trellis apply} as a user runs it, against a control-plane JVM with proxies subscribed:
 * a TrafficSplit applied with the CLI moves a client's traffic to the split's backend, the
 * control plane keeps it across a restart (the proxies still split after it), {@code trellis get}
 * lists it as applied, and {@code trellis check --proxy} passes against the real proxies.
 */
class AppliedResourcesScenarioTest {
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

  record Cli(int code, String out) {}

  /** {@code trellis ARGS --control-plane ADDR} in its own JVM, as a user runs it. */
  private static Cli trellis(String controlPlane, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        "io.trellis.cli.Main"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--control-plane", controlPlane));
    Path out = Files.createTempFile("trellis-cli", ".out");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "trellis " + String.join(" ", args) + " ends");
    String text = Files.readString(out, StandardCharsets.UTF_8);
    Files.delete(out);
    return new Cli(p.exitValue(), text);
  }

  @Test
  void appliedSplitReachesTheProxiesAndOutlivesAControlPlaneRestart() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server-a", "server-b"));
    ControlPlaneProcess cp = mesh.controlPlane(0);

    Cli check = trellis(cp.destination(), "check", "--proxy", "--wait", "30s");
    assertEquals(0, check.code(), check.out());
    assertTrue(check.out().contains("√ data plane proxies are subscribed to the control plane (3/3)")
        && check.out().endsWith("Status check results are √\n"), check.out());

    Path split = Files.writeString(mesh.config().resolveSibling("split.yaml"), """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata:
          name: echo-split
        spec:
          service: %s
          backends:
          - service: %s
            weight: 0
          - service: %s
            weight: 100
        """.formatted(MeshFixture.SERVICE, MeshFixture.SERVICE, CANARY));
    try (SteadyTraffic traffic =
        SteadyTraffic.start(echo, "/whoami", 1, 20, Duration.ofSeconds(10), true)) {
      traffic.awaitServed("server-a", 10, Duration.ofSeconds(30), mesh::proxyLogs);
      long appliedAt = System.nanoTime();
      Cli applied = trellis(cp.destination(), "apply", "-f", split.toString());
      assertEquals(0, applied.code(), applied.out());
      assertTrue(applied.out().contains("trafficsplit.split.smi-spec.io/echo-split created"),
          applied.out());
      traffic.awaitOnly("server-b", 20, Duration.ofSeconds(30));
      System.out.printf("the split took over %d ms after trellis apply started%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - appliedAt));
    }

    // Restart the node (Ctrl-C, then a new JVM on the same mesh.conf and state directory).
    cp.close();
    ControlPlaneProcess again = ControlPlaneProcess.start(
        mesh.config(), "control-plane-0-again", cp.destination(), cp.node(), mesh.logDir());
    try (again) {
      again.awaitReady(1, Duration.ofSeconds(60));
      Cli get = trellis(again.destination(), "get", "ts");
      assertEquals(0, get.code(), get.out());
      assertTrue(get.out().lines().anyMatch(l -> l.matches("echo-split\\s+e2e\\s+applied\\s+\\S+")),
          get.out());
      // The proxies re-subscribe to the new node and keep splitting to server-b.
      Deadline.in(Duration.ofSeconds(30)).await("the proxies are subscribed again",
          () -> {
            try {
              return trellis(again.destination(), "check", "--proxy").code() == 0;
            } catch (Exception e) {
              return false;
            }
          });
      try (SteadyTraffic after =
          SteadyTraffic.start(echo, "/whoami", 1, 20, Duration.ofSeconds(10), true)) {
        after.awaitServed("server-b", 20, Duration.ofSeconds(30), mesh::proxyLogs);
        assertEquals(0, after.count("server-a"), () -> "served: " + after.servedBy());
      }
      Cli deleted = trellis(again.destination(), "delete", "ts", "echo-split");
      assertEquals(0, deleted.code(), deleted.out());
    }
  }
}
