package io.trellis.proxy.balance;

import static io.trellis.proxy.balance.MutableMeshUpdates.addresses;
import static io.trellis.proxy.balance.MutableMeshUpdates.mesh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.trellis.config.HostPort;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Failure accrual on virtual time: 7 consecutive failures take an endpoint out of the published
 * set; after the penalty (1 s) it is probed; a failed probe takes it out for twice as long; a
 * successful probe brings it back for good, and its failure count starts afresh.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CircuitBreakerTest {
  private static final ServiceRef WEB = new ServiceRef(MutableMeshUpdates.NAMESPACE, "web", 80);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  final ActorTestKit kit =
      ActorTestKit.create(
          "CircuitBreakerTest", ManualTime.config().withFallback(ConfigFactory.load()));
  final ManualTime time = ManualTime.get(kit.system());

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  static List<HostPort> published(Destination destination) {
    return destination.current().endpoints().stream().map(h -> h.endpoint().address()).toList();
  }

  void awaitPublished(Destination destination, List<HostPort> expected) {
    kit.createTestProbe()
        .awaitAssert(DEADLINE, () -> {
          assertEquals(expected, published(destination));
          return null;
        });
  }

  /** Nothing changes for a while (real time: the actors' messages have been processed). */
  void stillPublished(Destination destination, List<HostPort> expected) {
    kit.createTestProbe().expectNoMessage(Duration.ofMillis(100));
    assertEquals(expected, published(destination));
  }

  static void outcomes(EndpointHandle endpoint, int n, boolean failure) {
    for (int i = 0; i < n; i++) {
      endpoint.dispatch(System.nanoTime()).complete(System.nanoTime(), failure);
    }
  }

  @Test
  void opensProbesWithBackoffAndCloses() throws Exception {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    updates.publish(mesh(Map.of("web", addresses("10.0.0.1", "10.0.0.2"))));
    BalanceSettings noJitter =
        BalanceSettings.defaults()
            .withFailureAccrual(7, Duration.ofSeconds(1), Duration.ofSeconds(60), 0);
    Destination web =
        ActorDestinations.start(kit.system(), updates, noJitter).destination(WEB);
    web.whenNonEmpty(DEADLINE).toCompletableFuture().get(5, TimeUnit.SECONDS);
    awaitPublished(web, addresses("10.0.0.1", "10.0.0.2"));
    EndpointHandle one = web.current().endpoints().get(0);

    outcomes(one, 6, true);
    stillPublished(web, addresses("10.0.0.1", "10.0.0.2"));
    outcomes(one, 1, true); // the 7th in a row
    awaitPublished(web, addresses("10.0.0.2"));

    time.timePasses(Duration.ofMillis(999));
    stillPublished(web, addresses("10.0.0.2"));
    time.timePasses(Duration.ofMillis(1));
    awaitPublished(web, addresses("10.0.0.1", "10.0.0.2")); // probing

    outcomes(one, 1, true); // the probe fails: out for 2 s
    awaitPublished(web, addresses("10.0.0.2"));
    time.timePasses(Duration.ofMillis(1999));
    stillPublished(web, addresses("10.0.0.2"));
    time.timePasses(Duration.ofMillis(1));
    awaitPublished(web, addresses("10.0.0.1", "10.0.0.2"));

    outcomes(one, 1, false); // the probe succeeds: back for good
    time.timePasses(Duration.ofSeconds(120));
    stillPublished(web, addresses("10.0.0.1", "10.0.0.2"));
    outcomes(one, 6, true); // counting starts afresh: 6 are not enough
    stillPublished(web, addresses("10.0.0.1", "10.0.0.2"));
    outcomes(one, 1, true);
    awaitPublished(web, addresses("10.0.0.2"));
    time.timePasses(Duration.ofSeconds(1)); // and the penalty starts again at 1 s
    awaitPublished(web, addresses("10.0.0.1", "10.0.0.2"));
  }

  @Test
  void aServiceCanSetItsOwnThreshold() throws Exception {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    updates.publish(
        new io.trellis.config.MeshConfig(
            MutableMeshUpdates.NAMESPACE,
            Map.of("web", new io.trellis.config.ServiceConfig("web", 80,
                addresses("10.0.1.1", "10.0.1.2"),
                new io.trellis.config.FailureAccrual(2, null, null, 0.0))),
            Map.of()));
    Destination web =
        ActorDestinations.start(kit.system(), updates, BalanceSettings.defaults()).destination(WEB);
    web.whenNonEmpty(DEADLINE).toCompletableFuture().get(5, TimeUnit.SECONDS);
    awaitPublished(web, addresses("10.0.1.1", "10.0.1.2"));
    outcomes(web.current().endpoints().get(0), 2, true);
    awaitPublished(web, addresses("10.0.1.2"));
    time.timePasses(Duration.ofSeconds(1));
    awaitPublished(web, addresses("10.0.1.1", "10.0.1.2"));
  }

  @Test
  void penaltiesDoubleUpToTheMaximumWithJitter() {
    BalanceSettings d = BalanceSettings.defaults();
    assertEquals(Duration.ofSeconds(1), d.penalty(0, 0));
    assertEquals(Duration.ofMillis(1500), d.penalty(0, 1));
    assertEquals(Duration.ofSeconds(8), d.penalty(3, 0));
    assertEquals(Duration.ofSeconds(60), d.penalty(6, 0)); // 64 s capped
    assertEquals(Duration.ofSeconds(60), d.penalty(1000, 0));
    Duration jittered = d.penalty(6, 0.999);
    assertTrue(jittered.compareTo(Duration.ofSeconds(90)) < 0 && jittered.getSeconds() >= 89);
  }
}
