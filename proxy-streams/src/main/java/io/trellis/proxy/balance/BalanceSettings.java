package io.trellis.proxy.balance;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/**
 * The balancer's settings, read once from {@code trellis.proxy.balance} (see reference.conf).
 *
 * @param decay Peak-EWMA time constant tau
 * @param defaultRtt cost of an endpoint that has not answered yet
 * @param drainTimeout how long a removed endpoint's actor waits for its in-flight requests
 * @param maxWaiters requests that may wait at once for a service's first endpoint
 * @param consecutiveFailures failures in a row after which an endpoint leaves the balancer
 * @param penaltyMin the first penalty of a failing endpoint before it is probed
 * @param penaltyMax the longest penalty (each failed probe doubles it up to this)
 * @param jitter a penalty is stretched by a random share of up to this much of itself
 */
public record BalanceSettings(
    Duration decay,
    Duration defaultRtt,
    Duration drainTimeout,
    int maxWaiters,
    int consecutiveFailures,
    Duration penaltyMin,
    Duration penaltyMax,
    double jitter) {

  public static final String PATH = "trellis.proxy.balance";

  public BalanceSettings {
    requirePositive("decay", decay);
    requirePositive("default-rtt", defaultRtt);
    requirePositive("drain-timeout", drainTimeout);
    if (maxWaiters < 0) {
      throw new IllegalArgumentException(PATH + ".max-waiters must be >= 0, was " + maxWaiters);
    }
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException(
          PATH + ".failure-accrual.consecutive-failures must be >= 1, was " + consecutiveFailures);
    }
    requirePositive("failure-accrual.penalty-min", penaltyMin);
    requirePositive("failure-accrual.penalty-max", penaltyMax);
    if (penaltyMax.compareTo(penaltyMin) < 0) {
      throw new IllegalArgumentException(
          PATH + ".failure-accrual.penalty-max must be >= penalty-min, was " + penaltyMax);
    }
    if (jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException(
          PATH + ".failure-accrual.jitter must be within 0..1, was " + jitter);
    }
  }

  /** Linkerd's failure-accrual penalties (1 s to 60 s, jitter 0.5) with the other values given. */
  public BalanceSettings(
      Duration decay,
      Duration defaultRtt,
      Duration drainTimeout,
      int maxWaiters,
      int consecutiveFailures) {
    this(decay, defaultRtt, drainTimeout, maxWaiters, consecutiveFailures,
        Duration.ofSeconds(1), Duration.ofSeconds(60), 0.5);
  }

  /** These settings with other failure-accrual values (a service's own, from mesh.conf). */
  public BalanceSettings withFailureAccrual(
      int consecutiveFailures, Duration penaltyMin, Duration penaltyMax, double jitter) {
    return new BalanceSettings(decay, defaultRtt, drainTimeout, maxWaiters, consecutiveFailures,
        penaltyMin, penaltyMax, jitter);
  }

  /** These settings with a service's own failure accrual from mesh.conf (null: none). */
  public BalanceSettings forService(io.trellis.config.FailureAccrual own) {
    if (own == null) {
      return this;
    }
    return withFailureAccrual(
        own.consecutiveFailures() != null ? own.consecutiveFailures() : consecutiveFailures,
        own.penaltyMin() != null ? own.penaltyMin() : penaltyMin,
        own.penaltyMax() != null ? own.penaltyMax() : penaltyMax,
        own.jitter() != null ? own.jitter() : jitter);
  }

  /**
   * The penalty after {@code failedProbes} failed probes in a row: penaltyMin doubled that often,
   * at most penaltyMax, then stretched by {@code random} (0..1) times jitter.
   */
  public Duration penalty(int failedProbes, double random) {
    double base = penaltyMin.toNanos() * Math.pow(2, Math.min(failedProbes, 62));
    double capped = Math.min(base, penaltyMax.toNanos());
    return Duration.ofNanos((long) (capped * (1 + jitter * random)));
  }

  /** Reads the settings from a root config (the actor system's, usually). */
  public static BalanceSettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    return new BalanceSettings(
        c.getDuration("decay"),
        c.getDuration("default-rtt"),
        c.getDuration("drain-timeout"),
        c.getInt("max-waiters"),
        c.getInt("failure-accrual.consecutive-failures"),
        c.getDuration("failure-accrual.penalty-min"),
        c.getDuration("failure-accrual.penalty-max"),
        c.getDouble("failure-accrual.jitter"));
  }

  /** The defaults from reference.conf. */
  public static BalanceSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference(BalanceSettings.class.getClassLoader()));
  }

  private static void requirePositive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(PATH + "." + key + " must be a positive duration, was " + d);
    }
  }
}
