package io.trellis.actors.destination;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one node's proxy streams, read by tests and (later) the control plane's metrics.
 * Updated by stream actors, never on a publisher's path.
 */
public final class StreamStats {
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong overflows = new AtomicLong();
  private final Map<String, Integer> subscribers = new ConcurrentHashMap<>();

  /** A proxy's service-list stream opened; {@code workload} is the name it gave. */
  void subscribed(String workload) {
    subscribers.merge(workload, 1, Integer::sum);
  }

  void unsubscribed(String workload) {
    subscribers.computeIfPresent(workload, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Open service-list streams by the workload that opened them (its context token). */
  public Map<String, Integer> subscribers() {
    return new TreeMap<>(subscribers);
  }

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
