package io.trellis.proxy.balance;

import static io.trellis.proxy.balance.MutableMeshUpdates.addresses;
import static io.trellis.proxy.balance.MutableMeshUpdates.mesh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.trellis.config.HostPort;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Discovery adds and removes endpoints while requests are in flight: the published snapshot
 * follows, in-flight requests finish normally, retired endpoint actors stop.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndpointSetChangesTest {

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final ServiceRef WEB = new ServiceRef(MutableMeshUpdates.NAMESPACE, "web", 80);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private static List<HostPort> published(Destination destination) {
    return destination.current().endpoints().stream().map(h -> h.endpoint().address()).toList();
  }

  private static ActorRef<EndpointActor.Command> actorOf(EndpointHandle handle) {
    return ((EndpointActor.ActorSignals) ((MeteredEndpoint) handle).signals()).actor();
  }

  private List<HostPort> awaitPublished(Destination destination, List<HostPort> expected) {
    TestProbe<Object> probe = testKit.createTestProbe();
    return probe.awaitAssert(DEADLINE, () -> {
      assertEquals(expected, published(destination));
      return expected;
    });
  }

  @Test
  void endpointsFollowDiscoveryWithoutFailingRequestsInFlight() throws Exception {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    updates.publish(mesh(Map.of("web", addresses("10.0.0.1", "10.0.0.2", "10.0.0.3"))));
    ActorDestinations destinations =
        ActorDestinations.start(testKit.system(), updates, BalanceSettings.defaults());
    Destination web = destinations.destination(WEB);
    assertSame(web, destinations.destination(WEB));

    // The first non-empty snapshot already has them all: a cold start publishes them together.
    EndpointSet first = web.whenNonEmpty(DEADLINE).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(3, first.endpoints().size());
    awaitPublished(web, addresses("10.0.0.1", "10.0.0.2", "10.0.0.3"));
    List<EndpointHandle> before = web.current().endpoints();
    EndpointHandle one = before.get(0);
    EndpointHandle two = before.get(1);
    long now = System.nanoTime();
    EndpointHandle.Dispatch toOne = one.dispatch(now);
    EndpointHandle.Dispatch toTwo = two.dispatch(now);

    // Edit: drop .1, keep .2 and .3, add .4.
    updates.publish(mesh(Map.of("web", addresses("10.0.0.2", "10.0.0.3", "10.0.0.4"))));
    awaitPublished(web, addresses("10.0.0.2", "10.0.0.3", "10.0.0.4"));
    assertSame(two, web.current().endpoints().get(0), "kept endpoints keep their meter");
    for (int i = 0; i < 1_000; i++) {
      assertNotEquals(one, web.pick());
    }

    // The removed endpoint's request finishes normally; then its actor stops.
    toOne.complete(System.nanoTime(), false);
    toTwo.complete(System.nanoTime(), false);
    assertEquals(0, ((MeteredEndpoint) one).pending());
    testKit.createTestProbe().expectTerminated(actorOf(one), DEADLINE);

    // Everything removed: an empty snapshot, nothing to pick, all actors stop.
    List<EndpointHandle> last = web.current().endpoints();
    updates.publish(mesh(Map.of()));
    awaitPublished(web, List.of());
    assertNull(web.pick());
    TestProbe<Object> watcher = testKit.createTestProbe();
    last.forEach(h -> watcher.expectTerminated(actorOf(h), DEADLINE));
  }

  @Test
  void aRetiredEndpointWaitsForItsRequestsBeforeStopping() throws Exception {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    updates.publish(mesh(Map.of("web", addresses("10.0.1.1", "10.0.1.2"))));
    Destination web =
        ActorDestinations.start(testKit.system(), updates, BalanceSettings.defaults())
            .destination(WEB);
    awaitPublished(web, addresses("10.0.1.1", "10.0.1.2"));
    EndpointHandle removed = web.current().endpoints().get(0);
    EndpointHandle.Dispatch inFlight = removed.dispatch(System.nanoTime());

    updates.publish(mesh(Map.of("web", addresses("10.0.1.2"))));
    awaitPublished(web, addresses("10.0.1.2"));
    // Still draining: the actor has not stopped while the request is in flight.
    TestProbe<Object> watcher = testKit.createTestProbe();
    ActorRef<EndpointActor.Command> actor = actorOf(removed);
    assertThrows(
        AssertionError.class, () -> watcher.expectTerminated(actor, Duration.ofMillis(300)));

    inFlight.complete(System.nanoTime(), false);
    testKit.createTestProbe().expectTerminated(actor, DEADLINE);
  }

  @Test
  void anEndpointReaddedWhileDrainingGetsAFreshActor() {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    updates.publish(mesh(Map.of("web", addresses("10.0.2.1"))));
    Destination web =
        ActorDestinations.start(testKit.system(), updates, BalanceSettings.defaults())
            .destination(WEB);
    awaitPublished(web, addresses("10.0.2.1"));
    EndpointHandle old = web.current().endpoints().get(0);
    EndpointHandle.Dispatch inFlight = old.dispatch(System.nanoTime());

    updates.publish(mesh(Map.of("web", List.of())));
    awaitPublished(web, List.of());
    updates.publish(mesh(Map.of("web", addresses("10.0.2.1"))));
    awaitPublished(web, addresses("10.0.2.1"));
    EndpointHandle fresh = web.current().endpoints().get(0);
    assertNotEquals(old, fresh);

    inFlight.complete(System.nanoTime(), false);
    testKit.createTestProbe().expectTerminated(actorOf(old), DEADLINE);
    assertEquals(List.of(fresh), web.current().endpoints());
  }
}
