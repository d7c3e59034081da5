package io.trellis.proxy.balance;

import io.trellis.config.Endpoint;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The handle an {@link EndpointActor} publishes: its endpoint and a {@link PeakEwma} meter. The
 * request path only touches atomics here; the owning actor hears from the meter on state
 * transitions (failing / recovered, drained after retirement), never per request.
 */
final class MeteredEndpoint implements EndpointHandle {

  /** What the owner hears. Called on a request's thread: implementations must only enqueue. */
  interface Signals {
    /** Consecutive failures reached the threshold ({@code true}) or a success ended them. */
    void failingChanged(boolean failing);

    /** Retired, and the last in-flight request finished. Called at most once. */
    void drained();
  }

  private final Endpoint endpoint;
  private final PeakEwma ewma;
  private volatile int failureThreshold;
  private final Signals signals;
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final AtomicBoolean drainSignalled = new AtomicBoolean();
  // Set by the owner when it republishes a broken endpoint: the next outcome decides.
  private final AtomicBoolean probing = new AtomicBoolean();
  private volatile boolean retired;

  MeteredEndpoint(Endpoint endpoint, PeakEwma ewma, int failureThreshold, Signals signals) {
    this.endpoint = endpoint;
    this.ewma = ewma;
    this.failureThreshold = failureThreshold;
    this.signals = signals;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  @Override
  public double load(long nowNanos) {
    return ewma.load(nowNanos);
  }

  @Override
  public Dispatch dispatch(long nowNanos) {
    ewma.start();
    return new InFlight(this, nowNanos);
  }

  int pending() {
    return ewma.pending();
  }

  Signals signals() {
    return signals;
  }

  int consecutiveFailures() {
    return consecutiveFailures.get();
  }

  /**
   * Marks the endpoint removed from the balancer; {@link Signals#drained()} follows once nothing
   * is in flight (at once if nothing is). Requests dispatched from an older snapshot after this
   * still work: the meter keeps counting, it only stops signalling.
   */
  void retire() {
    retired = true;
    // Pairs with finish(): whichever of the two runs second sees the other's write.
    if (ewma.pending() == 0) {
      signalDrained();
    }
  }

  private void finish(long sentNanos, long nowNanos, boolean failure) {
    int left = ewma.finish(sentNanos, nowNanos);
    recordOutcome(failure);
    if (left == 0 && retired) {
      signalDrained();
    }
  }

  /** A new failure-accrual threshold (the service's settings changed). */
  void failureThreshold(int threshold) {
    this.failureThreshold = threshold;
  }

  /**
   * The owner republished this endpoint after its penalty: the next outcome signals, a failure
   * that it is still failing, a success that it recovered.
   */
  void probe() {
    probing.set(true);
  }

  private void recordOutcome(boolean failure) {
    if (failure) {
      if (consecutiveFailures.incrementAndGet() == failureThreshold
          | (probing.get() && probing.compareAndSet(true, false))) {
        signals.failingChanged(true);
      }
    } else if (probing.get() && probing.compareAndSet(true, false)) {
      consecutiveFailures.set(0);
      signals.failingChanged(false);
    } else if (consecutiveFailures.get() != 0 // read first: most completions write nothing
        && consecutiveFailures.getAndSet(0) >= failureThreshold) {
      signals.failingChanged(false);
    }
  }

  private void signalDrained() {
    if (drainSignalled.compareAndSet(false, true)) {
      signals.drained();
    }
  }

  @Override
  public String toString() {
    return "endpoint " + endpoint.address() + " " + ewma;
  }

  /** One request in flight; completing it twice is ignored so pending can never go negative. */
  private static final class InFlight implements Dispatch {
    private static final AtomicIntegerFieldUpdater<InFlight> DONE =
        AtomicIntegerFieldUpdater.newUpdater(InFlight.class, "done");

    private final MeteredEndpoint owner;
    private final long sentNanos;
    private volatile int done;

    InFlight(MeteredEndpoint owner, long sentNanos) {
      this.owner = owner;
      this.sentNanos = sentNanos;
    }

    @Override
    public void complete(long nowNanos, boolean failure) {
      if (DONE.compareAndSet(this, 0, 1)) {
        owner.finish(sentNanos, nowNanos, failure);
      }
    }
  }
}
