package io.trellis.proxy.retry;

import io.trellis.config.ServiceProfile;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * A service's retry budget with the token semantics of Linkerd (tower's {@code TpsBudget}): each
 * original request deposits 1 token, each retry withdraws {@code 1 / retryRatio}; {@code
 * minRetriesPerSecond * ttl} retries' worth of tokens is held in reserve; deposits and withdrawals
 * expire after {@code ttl}. So over any ttl window, retries stay within {@code retryRatio} of the
 * requests plus {@code minRetriesPerSecond} per second.
 *
 * <p>Lock-free: the window is {@value #SLOTS} slots of {@code ttl / SLOTS}, each one long packing
 * the slot's epoch (high 32 bits) and its token balance in thousandths (low 32 bits), updated by
 * CAS; a slot whose epoch is older than the window counts as empty and is reset by its next
 * writer. Concurrent withdrawals may overdraw by the few retries racing for the last tokens, as
 * in tower. The clock is injected (nanoseconds), so tests run on virtual time.
 */
public final class RetryBudget {
  static final int SLOTS = 10;
  private static final long UNIT = 1000; // one deposit, in thousandths of a token

  private final ServiceProfile.RetryBudget spec;
  private final LongSupplier clock;
  private final long slotNanos;
  private final long origin;
  private final long deposit;
  private final long withdrawal;
  private final long reserve;
  private final AtomicLongArray slots = new AtomicLongArray(SLOTS);

  public RetryBudget(ServiceProfile.RetryBudget spec, LongSupplier clock) {
    this.spec = spec;
    this.clock = clock;
    this.origin = clock.getAsLong();
    this.slotNanos = Math.max(1, spec.ttl().toNanos() / SLOTS);
    // A ratio of 0 earns nothing from requests: only the reserve allows retries.
    boolean ratio = spec.retryRatio() > 0;
    this.deposit = ratio ? UNIT : 0;
    this.withdrawal = ratio ? Math.max(1, Math.round(UNIT / spec.retryRatio())) : UNIT;
    this.reserve =
        (long) (spec.minRetriesPerSecond() * (spec.ttl().toNanos() / 1e9) * withdrawal);
  }

  /** The profile's budget this was built from. */
  public ServiceProfile.RetryBudget spec() {
    return spec;
  }

  /** An original request: deposits one token. */
  public void deposit() {
    if (deposit != 0) {
      add(deposit);
    }
  }

  /**
   * A retry wants to go: withdraws {@code 1 / retryRatio} tokens and returns true, or returns
   * false (and withdraws nothing) when the balance cannot cover it.
   */
  public boolean tryWithdraw() {
    if (balance() < withdrawal) {
      return false;
    }
    add(-withdrawal);
    return true;
  }

  /** Tokens available now, in thousandths: the reserve plus the unexpired slots. */
  long balance() {
    long epoch = epoch();
    long sum = reserve;
    for (int i = 0; i < SLOTS; i++) {
      long slot = slots.get(i);
      long age = epoch - (slot >>> 32);
      if (age >= 0 && age < SLOTS) {
        sum += (int) slot;
      }
    }
    return sum;
  }

  private void add(long amount) {
    long epoch = epoch();
    int i = (int) (epoch % SLOTS);
    while (true) {
      long slot = slots.get(i);
      long value = (slot >>> 32) == epoch ? (int) slot : 0; // an older epoch: reset
      long next = clamp(value + amount);
      if (slots.compareAndSet(i, slot, (epoch << 32) | (next & 0xffffffffL))) {
        return;
      }
    }
  }

  private long epoch() {
    // 32 bits of slot epochs: wraps after 2^32 slots (13 years of 1 s slots).
    return Math.floorDiv(clock.getAsLong() - origin, slotNanos) & 0xffffffffL;
  }

  private static long clamp(long v) {
    return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }
}
