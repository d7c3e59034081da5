package io.trellis.tests.mesh;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls for a condition until a deadline: tests wait for state, never for time. */
public final class Deadline {
  private static final Duration POLL = Duration.ofMillis(100);

  private final long endNanos;
  private final Duration total;

  private Deadline(Duration total) {
    this.total = total;
    this.endNanos = System.nanoTime() + total.toNanos();
  }

  public static Deadline in(Duration total) {
    return new Deadline(total);
  }

  public boolean passed() {
    return System.nanoTime() - endNanos > 0;
  }

  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
  }

  /**
   * Polls {@code condition} until it holds; throws with {@code what} (and the last detail) when
   * the deadline passes first.
   */
  public void await(String what, BooleanSupplier condition, Supplier<String> detail) {
    while (!condition.getAsBoolean()) {
      if (passed()) {
        throw new AssertionError(
            "not within " + total.toMillis() + " ms: " + what + " (" + detail.get() + ")");
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
  }

  public void await(String what, BooleanSupplier condition) {
    await(what, condition, () -> "no detail");
  }
}
