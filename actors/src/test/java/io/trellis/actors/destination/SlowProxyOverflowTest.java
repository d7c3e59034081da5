package io.trellis.actors.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.trellis.api.destination.EndpointSet;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A proxy that stops reading fills its bounded queue: its stream is closed (RESOURCE_EXHAUSTED,
 * counted), the publisher keeps going and the other proxies get every change; subscribing again
 * starts from the current state.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class SlowProxyOverflowTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create("SlowProxyOverflowTest");

  private static final int CHANGES = 20;

  @Test
  void slowStreamIsClosedOthersUnaffectedAndResubscribeGetsCurrentState() {
    PublisherFixture f = new PublisherFixture(testKit);
    TestSubscriber.Probe<EndpointSet> slow = f.subscribe(2);
    TestSubscriber.Probe<EndpointSet> fast = f.subscribe(2);
    slow.ensureSubscription(); // ... and never requests anything
    assertEquals(1, fast.requestNext().getEndpointsCount());

    // Each change waits for the fast proxy only: the publisher is never held up by the slow one.
    for (int extra = 1; extra <= CHANGES; extra++) {
      f.setWebEndpoints(extra);
      assertEquals(1 + extra, fast.requestNext().getEndpointsCount());
    }

    Throwable closed = slow.expectError();
    GrpcServiceException grpc = assertInstanceOf(GrpcServiceException.class, closed);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, grpc.getStatus().getCode());
    assertEquals(1, f.stats.overflowsTotal());

    TestSubscriber.Probe<EndpointSet> again = f.subscribe(2);
    EndpointSet current = again.requestNext();
    assertEquals(1 + CHANGES, current.getEndpointsCount());
    assertTrue(current.getExists());
  }
}
