package io.trellis.proxy.balance;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lock-free Peak-EWMA load meter of one endpoint (Finagle, tower/linkerd2-proxy).
 *
 * <p>On a response with round trip {@code rtt} at time {@code t}: if {@code rtt > cost} the cost
 * jumps to {@code rtt} (the peak); otherwise {@code cost = cost*w + rtt*(1-w)} with {@code
 * w = exp(-dt/tau)} and {@code dt} the time since the previous update. Between responses the cost
 * read at {@code now} decays toward 0 as {@code cost*exp(-(now-t)/tau)}. A new meter starts at the
 * default RTT, stamped at its creation, so an idle new endpoint gets cheaper and is tried.
 * {@code load = cost * (pending + 1)}.
 *
 * <p>One deliberate difference from tower and Finagle: there a read stores the decayed value and
 * restamps it, so the weight of the next sample depends on how often the balancer looked. Here a
 * read is pure: it computes the decay without writing, which keeps the hot path free of writes to
 * a shared cache line and makes the estimate independent of read frequency. Under steady traffic
 * both behave the same (a decaying peak). As in Finagle, a cost decayed to exactly 0 (after
 * thousands of tau idle) is read as the default RTT when requests are pending, so that pending
 * requests still count.
 *
 * <p>Times are {@link System#nanoTime()} values passed in by the caller, so tests can run on a
 * virtual clock.
 */
public final class PeakEwma {

  /** The cost in nanoseconds as of {@code stampNanos}. Immutable: updated by CAS. */
  private record Estimate(double costNanos, long stampNanos) {}

  private final double tauNanos;
  private final double defaultRttNanos;
  private final AtomicReference<Estimate> estimate;
  private final AtomicInteger pending = new AtomicInteger();

  public PeakEwma(Duration decay, Duration defaultRtt, long nowNanos) {
    this.tauNanos = decay.toNanos();
    this.defaultRttNanos = defaultRtt.toNanos();
    this.estimate = new AtomicReference<>(new Estimate(defaultRttNanos, nowNanos));
  }

  /** The cost in nanoseconds, decayed to {@code nowNanos}. */
  public double cost(long nowNanos) {
    Estimate e = estimate.get();
    return e.costNanos * weight(nowNanos - e.stampNanos);
  }

  /** {@code cost * (pending + 1)}. Lower is better. */
  public double load(long nowNanos) {
    int p = pending.get();
    double c = cost(nowNanos);
    if (c == 0.0 && p > 0) {
      c = defaultRttNanos;
    }
    return c * (p + 1);
  }

  /** Requests started and not yet finished. */
  public int pending() {
    return pending.get();
  }

  /** Counts a request as started. */
  public void start() {
    pending.incrementAndGet();
  }

  /**
   * Records the round trip of a request started at {@code sentNanos} and counts it as finished.
   *
   * @return the requests still pending after this one
   */
  public int finish(long sentNanos, long nowNanos) {
    observe(Math.max(0L, nowNanos - sentNanos), nowNanos);
    return pending.decrementAndGet();
  }

  /** Folds one round trip into the estimate. */
  void observe(long rttNanos, long nowNanos) {
    double rtt = rttNanos;
    Estimate prev;
    Estimate next;
    do {
      prev = estimate.get();
      // Completions race: a late one with an older clock must not move the stamp backwards.
      long stamp = Math.max(prev.stampNanos, nowNanos);
      double cost;
      if (rtt > prev.costNanos) {
        cost = rtt;
      } else {
        double w = weight(nowNanos - prev.stampNanos);
        cost = prev.costNanos * w + rtt * (1.0 - w);
      }
      next = new Estimate(cost, stamp);
    } while (!estimate.compareAndSet(prev, next));
  }

  private double weight(long elapsedNanos) {
    return elapsedNanos <= 0 ? 1.0 : Math.exp(-elapsedNanos / tauNanos);
  }

  @Override
  public String toString() {
    Estimate e = estimate.get();
    return String.format("PeakEwma[cost=%.3fms, pending=%d]", e.costNanos / 1e6, pending.get());
  }
}
