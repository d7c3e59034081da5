package io.trellis.identity.renew;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.trellis.identity.IdentitySettings;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RenewalScheduleTest {

  private static final Instant T0 = Instant.parse("2026-11-24T00:00:00Z");
  private final RenewalSchedule schedule = RenewalSchedule.defaults();

  @Test
  void defaultsMatchReferenceConf() {
    assertEquals(schedule, IdentitySettings.defaults().renewal());
  }

  @Test
  void renewsAt70PercentOfTheRemainingLifetime() {
    // A 24 h leaf received at T0: renew after 16.8 h.
    assertEquals(T0.plus(Duration.ofMinutes(1008)), schedule.renewAt(T0, T0.plus(Duration.ofHours(24))));
    // Received late (or capped by the issuer): 70% of what is left, not of the full lifetime.
    assertEquals(T0.plus(Duration.ofMinutes(42)), schedule.renewAt(T0, T0.plus(Duration.ofHours(1))));
  }

  @Test
  void anExpiredLeafIsRenewedAtOnce() {
    assertEquals(T0, schedule.renewAt(T0, T0));
    assertEquals(T0, schedule.renewAt(T0, T0.minusSeconds(5)));
  }

  @Test
  void retriesBackOffExponentiallyUpToTheCap() {
    // random = 1: the full delay; jitter 0.5 takes at most half of it away.
    assertEquals(Duration.ofSeconds(1), schedule.retryDelay(1, 1.0));
    assertEquals(Duration.ofSeconds(2), schedule.retryDelay(2, 1.0));
    assertEquals(Duration.ofSeconds(32), schedule.retryDelay(6, 1.0));
    assertEquals(Duration.ofSeconds(60), schedule.retryDelay(7, 1.0));
    assertEquals(Duration.ofSeconds(60), schedule.retryDelay(1_000_000, 1.0));
  }

  @Test
  void jitterTakesUpToItsShareOfTheDelay() {
    assertEquals(Duration.ofMillis(500), schedule.retryDelay(1, 0.0));
    assertEquals(Duration.ofMillis(750), schedule.retryDelay(1, 0.5));
    assertEquals(Duration.ofSeconds(30), schedule.retryDelay(100, 0.0));
    RenewalSchedule noJitter = new RenewalSchedule(0.7, Duration.ofSeconds(1), Duration.ofSeconds(60), 0);
    assertEquals(Duration.ofSeconds(4), noJitter.retryDelay(3, 0.123));
  }

  @Test
  void aRetryIsNeverScheduledAfterTheCurrentLeafExpires() {
    Instant notAfter = T0.plusSeconds(10);
    assertEquals(notAfter, schedule.retryAt(T0, 7, 1.0, notAfter));
    assertEquals(T0.plusSeconds(1), schedule.retryAt(T0, 1, 1.0, notAfter));
    // No leaf yet, or already expired: just back off.
    assertEquals(T0.plusSeconds(60), schedule.retryAt(T0, 7, 1.0, null));
    assertEquals(T0.plusSeconds(60), schedule.retryAt(T0, 7, 1.0, T0.minusSeconds(1)));
  }

  @Test
  void settingsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new RenewalSchedule(1.0, Duration.ofSeconds(1), Duration.ofSeconds(2), 0.5));
    assertThrows(IllegalArgumentException.class, () -> new RenewalSchedule(0.7, Duration.ofSeconds(3), Duration.ofSeconds(2), 0.5));
    assertThrows(IllegalArgumentException.class, () -> new RenewalSchedule(0.7, Duration.ofSeconds(1), Duration.ofSeconds(2), 1.5));
    assertThrows(IllegalArgumentException.class, () -> schedule.retryDelay(0, 0.5));
  }
}
