package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HostPort;
import io.trellis.config.TrafficSplit;
import io.trellis.discovery.destination.DestinationApiSource;
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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code trellis apply} as a user runs it, against a control-plane JVM with proxies subscribed
 * ({@code trellis check --proxy} passes against the real proxies): a TrafficSplit applied with
 * the CLI reaches the proxies' discovery (the destination API) within seconds, the control plane
 * keeps it across a restart ({@code trellis get} lists it as applied, the new node serves it, the
 * proxies re-subscribe and traffic flows), and {@code trellis delete} withdraws it.
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

  /**
   * What the proxies' discovery sees: the same {@link DestinationApiSource} a proxy runs,
   * subscribed to the control plane (the proxies act on it: TrafficSplitScenarioTest).
   */
  private static DestinationApiSource observe(String controlPlane) {
    return DestinationApiSource.start(mesh.system(), DestinationApiSource.Settings.of(
        List.of(HostPort.parse(controlPlane)), "observer"));
  }

  private static Optional<TrafficSplit> splitSeen(DestinationApiSource source) {
    return source.current().splitOf(MeshFixture.SERVICE);
  }

  @Test
  void appliedSplitReachesTheProxiesAndOutlivesAControlPlaneRestart() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    // server-b too: once the split is applied the proxies send it a share of the traffic
    SteadyTraffic.warmUp(mesh, echo, List.of("server-a", "server-b"));
    ControlPlaneProcess cp = mesh.controlPlane(0);

    Cli check = trellis(cp.destination(), "check", "--proxy", "--wait", "30s");
    assertEquals(0, check.code(), check.out());
    assertTrue(check.out().contains("√ data plane proxies are subscribed to the control plane (3/3)")
        && check.out().endsWith("Status check results are √\n"), check.out());

    DestinationApiSource observer = observe(cp.destination());
    try {
      observer.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(Optional.empty(), splitSeen(observer));
      Path split = Files.writeString(mesh.config().resolveSibling("split.yaml"), """
          apiVersion: split.smi-spec.io/v1alpha2
          kind: TrafficSplit
          metadata:
            name: echo-split
          spec:
            service: %s
            backends:
            - service: %s
              weight: 90
            - service: %s
              weight: 10
          """.formatted(MeshFixture.SERVICE, MeshFixture.SERVICE, CANARY));
      long appliedAt = System.nanoTime();
      Cli applied = trellis(cp.destination(), "apply", "-f", split.toString());
      assertEquals(0, applied.code(), applied.out());
      assertTrue(applied.out().contains("trafficsplit.split.smi-spec.io/echo-split created"),
          applied.out());
      TrafficSplit expected = new TrafficSplit("echo-split", MeshSpec.NAMESPACE,
          MeshFixture.SERVICE, List.of(new TrafficSplit.Backend(MeshFixture.SERVICE, 90_000),
              new TrafficSplit.Backend(CANARY, 10_000)));
      Deadline.in(Duration.ofSeconds(10)).await("the proxies' discovery has the applied split",
          () -> splitSeen(observer).equals(Optional.of(expected)),
          () -> "seen: " + splitSeen(observer));
      System.out.printf("the split reached discovery %d ms after trellis apply started%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - appliedAt));

      // Restart the node (Ctrl-C, then a new JVM on the same mesh.conf and state directory).
      cp.close();
      ControlPlaneProcess again = ControlPlaneProcess.start(
          mesh.config(), "control-plane-0-again", cp.destination(), cp.node(), mesh.logDir());
      try (again) {
        again.awaitReady(1, Duration.ofSeconds(60));
        Cli get = trellis(again.destination(), "get", "ts");
        assertEquals(0, get.code(), get.out());
        assertTrue(get.out().lines()
                .anyMatch(l -> l.matches("echo-split\\s+" + MeshSpec.NAMESPACE
                    + "\\s+applied\\s+\\S+")), get.out());
        // The proxies re-subscribe to the new node; traffic still flows; the split is still seen.
        Cli checkAgain = trellis(again.destination(), "check", "--proxy", "--wait", "60s");
        assertEquals(0, checkAgain.code(), checkAgain.out());
        try (SteadyTraffic after =
            SteadyTraffic.start(echo, "/whoami", 1, 20, Duration.ofSeconds(10), true)) {
          after.awaitServed("server-a", 20, Duration.ofSeconds(30), mesh::proxyLogs);
        }
        DestinationApiSource fresh = observe(again.destination());
        try {
          fresh.whenReady().toCompletableFuture().get(30, TimeUnit.SECONDS);
          Deadline.in(Duration.ofSeconds(10)).await("the restarted node serves the split",
              () -> splitSeen(fresh).equals(Optional.of(expected)),
              () -> "seen: " + splitSeen(fresh));
          Cli deleted = trellis(again.destination(), "delete", "ts", "echo-split");
          assertEquals(0, deleted.code(), deleted.out());
          Deadline.in(Duration.ofSeconds(10)).await("the deletion reaches discovery",
              () -> splitSeen(fresh).isEmpty(), () -> "seen: " + splitSeen(fresh));
        } finally {
          fresh.close();
        }
      }
    } finally {
      observer.close();
    }
  }
}
