package io.trellis.proxy.balance;

import static io.trellis.proxy.balance.MutableMeshUpdates.addresses;
import static io.trellis.proxy.balance.MutableMeshUpdates.mesh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Waiting for a service's first endpoint: completes when one arrives, fails fast when not. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WhenNonEmptyTest {

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final ServiceRef API = new ServiceRef(MutableMeshUpdates.NAMESPACE, "api", 80);

  private static CompletableFuture<EndpointSet> waitFor(Destination d, Duration failFast) {
    return d.whenNonEmpty(failFast).toCompletableFuture();
  }

  @Test
  void completesWhenEndpointsArrive() throws Exception {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    Destination api =
        ActorDestinations.start(testKit.system(), updates, BalanceSettings.defaults())
            .destination(API);
    CompletableFuture<EndpointSet> waiting = waitFor(api, Duration.ofSeconds(10));
    assertFalse(waiting.isDone());

    updates.publish(mesh(Map.of("api", addresses("10.0.3.1"))));
    EndpointSet set = waiting.get(5, TimeUnit.SECONDS);
    assertEquals(1, set.endpoints().size());
    // Once non-empty, later waits complete at once.
    assertTrue(waitFor(api, Duration.ofMillis(1)).isDone());
  }

  @Test
  void failsFastWithATimeoutWhenNoEndpointArrives() {
    MutableMeshUpdates updates = new MutableMeshUpdates();
    updates.publish(mesh(Map.of("other", addresses("10.0.3.2"))));
    Destination api =
        ActorDestinations.start(testKit.system(), updates, BalanceSettings.defaults())
            .destination(API);
    CompletableFuture<EndpointSet> waiting = waitFor(api, Duration.ofMillis(200));
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("api.demo.svc.cluster.local:80"));
    assertEquals(0, ((PublishedDestination) api).waiting());
  }

  @Test
  void waitersAreBounded() throws Exception {
    BalanceSettings d = BalanceSettings.defaults();
    BalanceSettings twoWaiters =
        new BalanceSettings(d.decay(), d.defaultRtt(), d.drainTimeout(), 2,
            d.consecutiveFailures());
    MutableMeshUpdates updates = new MutableMeshUpdates();
    Destination api =
        ActorDestinations.start(testKit.system(), updates, twoWaiters).destination(API);
    CompletableFuture<EndpointSet> first = waitFor(api, Duration.ofSeconds(10));
    CompletableFuture<EndpointSet> second = waitFor(api, Duration.ofSeconds(10));
    CompletableFuture<EndpointSet> third = waitFor(api, Duration.ofSeconds(10));
    assertTrue(third.isCompletedExceptionally(), "the third waiter is refused at once");

    updates.publish(mesh(Map.of("api", addresses("10.0.3.3"))));
    first.get(5, TimeUnit.SECONDS);
    second.get(5, TimeUnit.SECONDS);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(0, ((PublishedDestination) api).waiting());
      return null;
    });
  }
}
