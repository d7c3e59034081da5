package io.trellis.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * One slow endpoint among ten, an open-loop load on a virtual clock (REFERENCE: one of 11 backends
 * slowed to 2 s). Round robin sends the slow endpoint its equal share and its latency shows at the
 * p99; P2C over Peak-EWMA learns from the first slow answers and sends it almost nothing.
 * Deterministic: seeded randomness, no wall clock.
 */
class SlowEndpointScenarioTest {
  private static final long MS = 1_000_000L;
  private static final long S = 1_000 * MS;
  private static final int ENDPOINTS = 10;
  private static final int SLOW = 3;
  private static final long SLOW_LATENCY = 2 * S;
  private static final double RPS = 500;
  private static final long DURATION = 120 * S;

  /** What the driver saw: requests per endpoint and every latency. */
  private record Outcome(long[] perEndpoint, long[] latencies) {
    double share(int endpoint) {
      return (double) perEndpoint[endpoint] / latencies.length;
    }

    long percentile(double p) {
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      return sorted[(int) Math.ceil(p * sorted.length) - 1];
    }
  }

  private record Completion(long at, EndpointHandle.Dispatch dispatch) {}

  @Test
  void peakEwmaSendsTheSlowEndpointOnlyASmallShare() {
    RandomGenerator choices = new SplittableRandom(7);
    Outcome outcome = drive(EndpointPicker.powerOfTwoChoices(() -> choices), 42);
    assertTrue(outcome.share(SLOW) < 0.03, "slow share " + outcome.share(SLOW));
    assertTrue(outcome.percentile(0.99) < 100 * MS, "p99 " + outcome.percentile(0.99) / MS + "ms");
  }

  @Test
  void roundRobinSendsTheSlowEndpointAnEqualShare() {
    Outcome outcome = drive(EndpointPicker.roundRobin(), 42);
    assertEquals(0.10, outcome.share(SLOW), 0.005);
    assertTrue(outcome.percentile(0.99) >= SLOW_LATENCY, "p99 " + outcome.percentile(0.99) / MS);
  }

  /**
   * Poisson arrivals at {@link #RPS} for {@link #DURATION}; each request completes after its
   * endpoint's latency (fast ones 5..15 ms, uniformly).
   */
  private static Outcome drive(EndpointPicker picker, long seed) {
    BalanceSettings settings = BalanceSettings.defaults();
    RandomGenerator rnd = new SplittableRandom(seed);
    long now = 0;
    List<EndpointHandle> handles = new ArrayList<>();
    for (int i = 0; i < ENDPOINTS; i++) {
      handles.add(
          new MeteredEndpoint(
              new Endpoint(new HostPort("10.0.0." + (i + 1), 8080), null, null),
              new PeakEwma(settings.decay(), settings.defaultRtt(), now),
              settings.consecutiveFailures(),
              new MeteredEndpoint.Signals() {
                @Override
                public void failingChanged(boolean failing) {}

                @Override
                public void drained() {}
              }));
    }
    EndpointSet set = new EndpointSet(handles);
    PriorityQueue<Completion> inFlight =
        new PriorityQueue<>((a, b) -> Long.compare(a.at(), b.at()));
    List<Long> latencies = new ArrayList<>();
    long[] perEndpoint = new long[ENDPOINTS];
    while (now < DURATION) {
      now += (long) (-Math.log(1.0 - rnd.nextDouble()) / RPS * S);
      while (!inFlight.isEmpty() && inFlight.peek().at() <= now) {
        Completion done = inFlight.poll();
        done.dispatch().complete(done.at(), false);
      }
      EndpointHandle chosen = picker.pick(set, now);
      int index = handles.indexOf(chosen);
      perEndpoint[index]++;
      long latency = index == SLOW ? SLOW_LATENCY : rnd.nextLong(5 * MS, 15 * MS);
      latencies.add(latency);
      inFlight.add(new Completion(now + latency, chosen.dispatch(now)));
    }
    return new Outcome(perEndpoint, latencies.stream().mapToLong(Long::longValue).toArray());
  }
}
