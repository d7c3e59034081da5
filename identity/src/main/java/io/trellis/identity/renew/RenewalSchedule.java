package io.trellis.identity.renew;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;

/**
 * When to renew a leaf and when to retry a failed renewal.
 *
 * @param fraction of the remaining lifetime after which to renew (0.7 as in Linkerd): a 24 h
 *     leaf is renewed after about 16.8 h, leaving 7 h for retries if the CA is down
 * @param minBackoff the first retry's delay
 * @param maxBackoff the cap of the retry delay
 * @param jitter fraction of a delay that is randomised (0.5: between 50% and 100% of it), so
 *     proxies restarted together do not retry together
 */
public record RenewalSchedule(double fraction, Duration minBackoff, Duration maxBackoff, double jitter) {

  public RenewalSchedule {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("trellis.identity.renew.fraction must be in (0, 1), was " + fraction);
    }
    if (minBackoff == null || minBackoff.isNegative() || minBackoff.isZero()) {
      throw new IllegalArgumentException("trellis.identity.renew.min-backoff must be positive, was " + minBackoff);
    }
    if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
      throw new IllegalArgumentException(
          "trellis.identity.renew.max-backoff must be >= min-backoff, was " + maxBackoff);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("trellis.identity.renew.jitter must be in [0, 1], was " + jitter);
    }
  }

  /** 70% of the remaining lifetime; retries from 1 s to 60 s with jitter 0.5. */
  public static RenewalSchedule defaults() {
    return new RenewalSchedule(0.7, Duration.ofSeconds(1), Duration.ofMinutes(1), 0.5);
  }

  public static RenewalSchedule fromConfig(Config root) {
    Config c = root.getConfig("trellis.identity.renew");
    return new RenewalSchedule(c.getDouble("fraction"), c.getDuration("min-backoff"),
        c.getDuration("max-backoff"), c.getDouble("jitter"));
  }

  /**
   * When to renew a leaf that arrived at {@code receivedAt} and expires at {@code notAfter}:
   * after {@code fraction} of the time left. Measured from arrival rather than from notBefore,
   * which is backdated for clock skew and may be far in the past when the issuer's validity
   * shortened the leaf. An already expired leaf is renewed at once.
   */
  public Instant renewAt(Instant receivedAt, Instant notAfter) {
    Duration remaining = Duration.between(receivedAt, notAfter);
    if (remaining.isNegative() || remaining.isZero()) {
      return receivedAt;
    }
    long nanos = (long) (remaining.toNanos() * fraction);
    return receivedAt.plusNanos(nanos);
  }

  /**
   * Delay before retry number {@code attempt} (1 for the first retry): min-backoff doubled per
   * attempt, capped at max-backoff, of which a {@code jitter} share is scaled by {@code random}.
   *
   * @param random a uniform draw in [0, 1), e.g. {@code ThreadLocalRandom.current().nextDouble()}
   */
  public Duration retryDelay(int attempt, double random) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
    }
    long min = minBackoff.toNanos();
    long max = maxBackoff.toNanos();
    // Double without overflow: stop once past the cap.
    long base = min;
    for (int i = 1; i < attempt && base < max; i++) {
      base = base > max / 2 ? max : base * 2;
    }
    base = Math.min(base, max);
    double r = Math.min(Math.max(random, 0.0), 1.0);
    long delay = (long) (base * (1 - jitter) + base * jitter * r);
    return Duration.ofNanos(Math.max(delay, 0));
  }

  /**
   * When to retry after a failed attempt, never later than the current leaf's expiry: once it
   * has expired the proxy has no identity, so retrying sooner is all that is left to try.
   *
   * @param notAfter expiry of the leaf in use, or null when the proxy has none yet
   */
  public Instant retryAt(Instant now, int attempt, double random, Instant notAfter) {
    Instant at = now.plus(retryDelay(attempt, random));
    if (notAfter != null && now.isBefore(notAfter) && at.isAfter(notAfter)) {
      return notAfter;
    }
    return at;
  }
}
