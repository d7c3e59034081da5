package io.trellis.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The meter talks to its owner on transitions only, never per request. */
class MeteredEndpointTest {

  private final List<String> signals = new ArrayList<>();
  private final MeteredEndpoint endpoint =
      new MeteredEndpoint(
          new Endpoint(new HostPort("10.0.0.1", 8080), null, null),
          new PeakEwma(Duration.ofSeconds(10), Duration.ofMillis(30), 0L),
          3,
          new MeteredEndpoint.Signals() {
            @Override
            public void failingChanged(boolean failing) {
              signals.add(failing ? "failing" : "recovered");
            }

            @Override
            public void drained() {
              signals.add("drained");
            }
          });

  @Test
  void completingTwiceCountsOnce() {
    EndpointHandle.Dispatch d = endpoint.dispatch(0L);
    endpoint.dispatch(0L);
    d.complete(1L, false);
    d.complete(2L, false);
    assertEquals(1, endpoint.pending());
  }

  @Test
  void failureThresholdIsSignalledOnceAndRecoveryOnce() {
    for (int i = 0; i < 5; i++) {
      endpoint.dispatch(i).complete(i + 1, true);
    }
    endpoint.dispatch(10).complete(11, false);
    endpoint.dispatch(12).complete(13, false);
    endpoint.dispatch(14).complete(15, true);
    assertEquals(List.of("failing", "recovered"), signals);
    assertEquals(1, endpoint.consecutiveFailures());
  }

  @Test
  void retiringWhileIdleDrainsAtOnce() {
    endpoint.retire();
    assertEquals(List.of("drained"), signals);
  }

  @Test
  void retiringWithRequestsInFlightDrainsAfterTheLastOne() {
    EndpointHandle.Dispatch a = endpoint.dispatch(0L);
    EndpointHandle.Dispatch b = endpoint.dispatch(0L);
    endpoint.retire();
    a.complete(5L, false);
    assertEquals(List.of(), signals);
    b.complete(6L, false);
    assertEquals(List.of("drained"), signals);
    // A request from an old snapshot after retirement still works and signals nothing more.
    endpoint.dispatch(7L).complete(8L, false);
    assertEquals(List.of("drained"), signals);
    assertEquals(0, endpoint.pending());
  }
}
