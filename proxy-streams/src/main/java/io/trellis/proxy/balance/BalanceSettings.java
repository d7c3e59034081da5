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
 * @param consecutiveFailures failures in a row after which an endpoint's actor is told
 */
public record BalanceSettings(
    Duration decay,
    Duration defaultRtt,
    Duration drainTimeout,
    int maxWaiters,
    int consecutiveFailures) {

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
  }

  /** Reads the settings from a root config (the actor system's, usually). */
  public static BalanceSettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    return new BalanceSettings(
        c.getDuration("decay"),
        c.getDuration("default-rtt"),
        c.getDuration("drain-timeout"),
        c.getInt("max-waiters"),
        c.getInt("failure-accrual.consecutive-failures"));
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
