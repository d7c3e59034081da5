package io.trellis.actors.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.ProtocolHint;
import io.trellis.api.destination.WeightedAddr;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One service's publisher fans every change out to all of its proxy streams. */
@ExtendWith(TestKitJUnit5Extension.class)
class ServiceDestinationFanOutTest {

  @JUnit5TestKit
  public ActorTestKit testKit = ActorTestKit.create("ServiceDestinationFanOutTest");

  @Test
  void everyStreamGetsTheCurrentSetThenEveryChange() {
    PublisherFixture f = new PublisherFixture(testKit);
    List<TestSubscriber.Probe<EndpointSet>> proxies =
        List.of(f.subscribe(8), f.subscribe(8), f.subscribe(8));

    for (TestSubscriber.Probe<EndpointSet> proxy : proxies) {
      EndpointSet first = proxy.requestNext();
      assertTrue(first.getExists());
      assertEquals(1, first.getEndpointsCount());
      WeightedAddr web = first.getEndpoints(0);
      assertEquals("127.0.0.11", web.getAddr().getHost());
      assertEquals(4143, web.getAddr().getPort());
      assertEquals("web.demo.serviceaccount.identity.trellis.cluster.local", web.getIdentity());
      assertEquals(ProtocolHint.PROTOCOL_HINT_H2, web.getProtocolHint());
      assertEquals("web", web.getLabelsOrThrow("deployment"));
      assertEquals("web-svc", web.getLabelsOrThrow("service"));
    }

    f.setWebEndpoints(2);
    for (TestSubscriber.Probe<EndpointSet> proxy : proxies) {
      assertEquals(3, proxy.requestNext().getEndpointsCount());
    }
    assertEquals(0, f.stats.overflowsTotal());
  }
}
