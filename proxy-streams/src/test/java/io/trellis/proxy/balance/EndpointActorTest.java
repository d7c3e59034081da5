package io.trellis.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** An endpoint's lifecycle: started and published, retired, drained, stopped. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndpointActorTest {

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Endpoint ENDPOINT = new Endpoint(new HostPort("10.0.0.9", 8080), null, null);

  private EndpointActor.Started start(BalanceSettings settings) {
    TestProbe<EndpointActor.Report> parent = testKit.createTestProbe();
    testKit.spawn(EndpointActor.create(ENDPOINT, settings, System::nanoTime, parent.getRef()));
    EndpointActor.Started started = (EndpointActor.Started) parent.receiveMessage();
    assertEquals(ENDPOINT, started.endpoint());
    assertEquals(ENDPOINT, started.handle().endpoint());
    return started;
  }

  @Test
  void retiredEndpointStopsOnceItsRequestsHaveFinished() {
    EndpointActor.Started started = start(BalanceSettings.defaults());
    EndpointHandle handle = started.handle();
    EndpointHandle.Dispatch first = handle.dispatch(System.nanoTime());
    EndpointHandle.Dispatch second = handle.dispatch(System.nanoTime());

    started.endpointActor().tell(EndpointActor.Retire.INSTANCE);
    first.complete(System.nanoTime(), false);
    second.complete(System.nanoTime(), true);

    testKit.createTestProbe().expectTerminated(started.endpointActor(), Duration.ofSeconds(5));
  }

  @Test
  void idleRetiredEndpointStopsAtOnce() {
    EndpointActor.Started started = start(BalanceSettings.defaults());
    started.endpointActor().tell(EndpointActor.Retire.INSTANCE);
    testKit.createTestProbe().expectTerminated(started.endpointActor(), Duration.ofSeconds(5));
  }

  @Test
  void drainIsBoundedAndALateCompletionIsHarmless() {
    BalanceSettings d = BalanceSettings.defaults();
    BalanceSettings quickDrain =
        new BalanceSettings(d.decay(), d.defaultRtt(), Duration.ofMillis(100), d.maxWaiters(),
            d.consecutiveFailures());
    EndpointActor.Started started = start(quickDrain);
    EndpointHandle.Dispatch stuck = started.handle().dispatch(System.nanoTime());
    ActorRef<EndpointActor.Command> actor = started.endpointActor();

    actor.tell(EndpointActor.Retire.INSTANCE);
    testKit.createTestProbe().expectTerminated(actor, Duration.ofSeconds(5));

    stuck.complete(System.nanoTime(), false);
    assertEquals(0, ((MeteredEndpoint) started.handle()).pending());
  }
}
