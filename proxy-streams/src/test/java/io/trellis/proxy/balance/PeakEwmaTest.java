package io.trellis.proxy.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Peak-EWMA on virtual time: times are plain nanosecond values. */
class PeakEwmaTest {
  private static final long MS = 1_000_000L;
  private static final long S = 1_000 * MS;
  private static final Duration TAU = Duration.ofSeconds(10);
  private static final Duration DEFAULT_RTT = Duration.ofMillis(30);
  private static final long T0 = 1_000 * S; // any origin: nanoTime values are arbitrary

  private static void assertNear(double expected, double actual) {
    assertEquals(expected, actual, Math.abs(expected) * 1e-9 + 1e-6);
  }

  @Test
  void unseededCostIsTheDefaultRtt() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    assertNear(30 * MS, ewma.cost(T0));
    assertNear(30 * MS, ewma.load(T0));
  }

  @Test
  void idleCostDecaysTowardZeroWithTau() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    assertNear(30 * MS * Math.exp(-1), ewma.cost(T0 + 10 * S));
    assertNear(30 * MS * Math.exp(-3), ewma.cost(T0 + 30 * S));
    // Reads do not write: reading again at an earlier time gives the earlier value.
    assertNear(30 * MS * Math.exp(-1), ewma.cost(T0 + 10 * S));
  }

  @Test
  void aPeakIsAdoptedAtOnce() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    ewma.start();
    ewma.finish(T0, T0 + 2 * S);
    assertNear(2 * S, ewma.cost(T0 + 2 * S));
    // ... and then fades with tau.
    assertNear(2 * S * Math.exp(-1), ewma.cost(T0 + 12 * S));
  }

  @Test
  void aLowerRttMovesTheAverageByElapsedTimeOverTau() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    ewma.start();
    ewma.finish(T0, T0 + 500 * MS); // peak: 500 ms at T0 + 0.5 s
    ewma.start();
    long t = T0 + 500 * MS + 10 * S;
    ewma.finish(t - 100 * MS, t); // rtt 100 ms, 10 s (one tau) after the last update
    double w = Math.exp(-1);
    assertNear(500 * MS * w + 100 * MS * (1 - w), ewma.cost(t));
  }

  @Test
  void quickSuccessiveSamplesBarelyMoveThePeak() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    ewma.start();
    ewma.finish(T0, T0 + S); // peak 1 s
    ewma.start();
    ewma.finish(T0 + S, T0 + S + 1); // rtt ~0, 1 ns later
    assertTrue(ewma.cost(T0 + S + 1) > 0.999 * S);
  }

  @Test
  void pendingRequestsMultiplyTheCost() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    ewma.start();
    ewma.start();
    ewma.start();
    assertEquals(3, ewma.pending());
    assertNear(30 * MS * 4, ewma.load(T0));
    assertEquals(2, ewma.finish(T0, T0 + 10 * MS));
    // rtt 10 ms is below the default 30 ms, 10 ms after the stamp: a small step toward it.
    double w = Math.exp(-0.001);
    assertNear((30 * MS * w + 10 * MS * (1 - w)) * 3, ewma.load(T0 + 10 * MS));
  }

  @Test
  void aCostDecayedToNothingStillCountsPendingRequests() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    long muchLater = T0 + 100_000 * S; // 10,000 tau: exp underflows to 0
    assertEquals(0.0, ewma.cost(muchLater));
    assertEquals(0.0, ewma.load(muchLater));
    ewma.start();
    assertNear(30 * MS * 2, ewma.load(muchLater));
  }

  @Test
  void aLateCompletionWithAnOlderClockDoesNotRewindTheStamp() {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    ewma.start();
    ewma.start();
    ewma.finish(T0, T0 + 5 * S); // peak 5 s stamped T0 + 5 s
    ewma.finish(T0, T0 + 4 * S); // raced: older clock, lower rtt: weight 1, no change
    assertNear(5 * S, ewma.cost(T0 + 5 * S));
  }

  @Test
  void concurrentDispatchesBalanceOut() throws Exception {
    PeakEwma ewma = new PeakEwma(TAU, DEFAULT_RTT, T0);
    int threads = 4;
    int perThread = 50_000;
    Thread[] workers = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      workers[i] =
          new Thread(
              () -> {
                for (int n = 0; n < perThread; n++) {
                  long now = System.nanoTime();
                  ewma.start();
                  ewma.load(now);
                  ewma.finish(now, now + (n % 7) * MS);
                }
              });
      workers[i].start();
    }
    for (Thread worker : workers) {
      worker.join(Duration.ofSeconds(30).toMillis());
    }
    assertEquals(0, ewma.pending());
    assertTrue(ewma.cost(System.nanoTime() + 60 * S) < 30 * MS);
  }
}
