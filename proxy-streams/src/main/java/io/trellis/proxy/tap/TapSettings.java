package io.trellis.proxy.tap;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/**
 * The event log's bounds, read once from {@code trellis.proxy.tap} (see reference.conf).
 *
 * @param capacity events the ring keeps (the oldest are overwritten)
 * @param maxAge events older than this are never replayed
 * @param pollInterval how often the event log reads the ring while someone taps
 * @param subscriberQueue live events one subscriber may have waiting before new ones are dropped
 * @param maxSubscribers taps open at once on this proxy; more are refused
 */
public record TapSettings(
    int capacity, Duration maxAge, Duration pollInterval, int subscriberQueue, int maxSubscribers) {
  public static final String PATH = "trellis.proxy.tap";

  public TapSettings {
    if (capacity < 1 || subscriberQueue < 1 || maxSubscribers < 1) {
      throw new IllegalArgumentException(
          PATH + ": capacity, subscriber-queue and max-subscribers must be at least 1");
    }
    if (maxAge.isNegative() || maxAge.isZero() || pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException(PATH + ": max-age and poll-interval must be positive");
    }
  }

  public static TapSettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    return new TapSettings(
        c.getInt("capacity"),
        c.getDuration("max-age"),
        c.getDuration("poll-interval"),
        c.getInt("subscriber-queue"),
        c.getInt("max-subscribers"));
  }

  public static TapSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference(TapSettings.class.getClassLoader()));
  }
}
