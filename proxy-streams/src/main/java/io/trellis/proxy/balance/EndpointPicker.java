package io.trellis.proxy.balance;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** How one endpoint is chosen from a snapshot. Stateless or lock-free: called per request. */
@FunctionalInterface
public interface EndpointPicker {

  /** Picks from {@code set} as of {@code nowNanos}, or returns null when it is empty. */
  EndpointHandle pick(EndpointSet set, long nowNanos);

  /** Power of two choices over Peak-EWMA load, with {@link ThreadLocalRandom}. */
  static EndpointPicker powerOfTwoChoices() {
    return powerOfTwoChoices(ThreadLocalRandom::current);
  }

  /**
   * Power of two choices: two distinct endpoints at random, the one with the lower load wins (the
   * first on a tie). Comparing only two keeps a stale or herd-prone global minimum from attracting
   * every request at once.
   */
  static EndpointPicker powerOfTwoChoices(Supplier<? extends RandomGenerator> random) {
    return (set, nowNanos) -> {
      List<EndpointHandle> all = set.endpoints();
      int n = all.size();
      if (n == 0) {
        return null;
      }
      if (n == 1) {
        return all.get(0);
      }
      RandomGenerator rnd = random.get();
      int i = rnd.nextInt(n);
      int j = rnd.nextInt(n - 1);
      if (j >= i) {
        j++; // distinct from i, still uniform
      }
      EndpointHandle a = all.get(i);
      EndpointHandle b = all.get(j);
      return b.load(nowNanos) < a.load(nowNanos) ? b : a;
    };
  }

  /** Round robin, blind to load: the baseline the scenario tests compare against. */
  static EndpointPicker roundRobin() {
    AtomicInteger next = new AtomicInteger();
    return (set, nowNanos) -> {
      List<EndpointHandle> all = set.endpoints();
      return all.isEmpty() ? null : all.get(Math.floorMod(next.getAndIncrement(), all.size()));
    };
  }
}
