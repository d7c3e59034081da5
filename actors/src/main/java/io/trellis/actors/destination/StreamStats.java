package io.trellis.actors.destination;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one node's proxy streams, read by tests and (later) the control plane's metrics.
 * Updated by stream actors, never on a publisher's path.
 */
public final class StreamStats {
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong overflows = new AtomicLong();

  void opened() {
    opened.incrementAndGet();
  }

  void overflowed() {
    overflows.incrementAndGet();
  }

  /** Streams opened since start. */
  public long openedTotal() {
    return opened.get();
  }

  /** Streams closed because their proxy fell behind (its bounded queue was full). */
  public long overflowsTotal() {
    return overflows.get();
  }
}
