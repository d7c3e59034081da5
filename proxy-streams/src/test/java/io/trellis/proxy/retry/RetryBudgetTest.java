package io.trellis.proxy.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.ServiceProfile;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The budget's token semantics, on an injected clock. */
class RetryBudgetTest {
  final AtomicLong now = new AtomicLong(-5_000_000_000L); // nanoTime may be negative
  final RetryBudget budget =
      new RetryBudget(new ServiceProfile.RetryBudget(0.2, 1, Duration.ofSeconds(10)), now::get);

  int withdrawAll() {
    int n = 0;
    while (budget.tryWithdraw()) {
      n++;
    }
    return n;
  }

  @Test
  void reserveAllowsMinRetriesPerSecondTimesTtl() {
    assertEquals(10, withdrawAll()); // 1/s * 10 s, with no requests at all
  }

  @Test
  void eachRequestEarnsRetryRatioOfARetry() {
    for (int i = 0; i < 100; i++) {
      budget.deposit();
    }
    assertEquals(10 + 20, withdrawAll()); // reserve + 100 * 0.2
  }

  @Test
  void depositsAndWithdrawalsExpireAfterTtl() {
    for (int i = 0; i < 50; i++) {
      budget.deposit();
    }
    assertEquals(20, withdrawAll());
    assertFalse(budget.tryWithdraw());
    now.addAndGet(Duration.ofSeconds(5).toNanos());
    assertFalse(budget.tryWithdraw(), "half a ttl later the withdrawals still count");
    now.addAndGet(Duration.ofSeconds(5).toNanos() + 1);
    // Everything expired: the reserve alone again, the old deposits gone.
    assertEquals(10, withdrawAll());
  }

  @Test
  void ratioOfZeroAllowsOnlyTheReserve() {
    RetryBudget none =
        new RetryBudget(new ServiceProfile.RetryBudget(0, 2, Duration.ofSeconds(5)), now::get);
    for (int i = 0; i < 1000; i++) {
      none.deposit();
    }
    int n = 0;
    while (none.tryWithdraw()) {
      n++;
    }
    assertEquals(10, n);
    assertTrue(n > 0);
  }
}
