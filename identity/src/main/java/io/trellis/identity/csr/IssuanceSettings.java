package io.trellis.identity.csr;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How leaves are dated, read from {@code trellis.identity} (see reference.conf).
 *
 * @param leafLifetime a leaf's validity (24 h as in Linkerd); never beyond its issuer's
 * @param clockSkew how far notBefore is backdated so peers whose clocks lag accept the leaf
 */
public record IssuanceSettings(Duration leafLifetime, Duration clockSkew) {

  public IssuanceSettings {
    if (leafLifetime == null || leafLifetime.isNegative() || leafLifetime.isZero()) {
      throw new IllegalArgumentException(
          "trellis.identity.leaf-lifetime must be a positive duration, was " + leafLifetime);
    }
    if (clockSkew == null || clockSkew.isNegative()) {
      throw new IllegalArgumentException(
          "trellis.identity.clock-skew must be >= 0, was " + clockSkew);
    }
  }

  /** Linkerd's defaults: 24 h leaves, 20 s clock skew. */
  public static IssuanceSettings defaults() {
    return new IssuanceSettings(Duration.ofHours(24), Duration.ofSeconds(20));
  }

  public static IssuanceSettings fromConfig(Config root) {
    Config c = root.getConfig("trellis.identity");
    return new IssuanceSettings(c.getDuration("leaf-lifetime"), c.getDuration("clock-skew"));
  }
}
