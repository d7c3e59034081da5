package io.trellis.identity.ca;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How the CA names and dates its certificates, read from {@code trellis.identity} (see
 * reference.conf).
 *
 * @param trustDomain the mesh's trust domain, e.g. {@code cluster.local}
 * @param controlNamespace the control plane's namespace, part of every identity name
 * @param anchorLifetime validity of a new trust anchor
 * @param issuerLifetime validity of a new issuer (never beyond its anchor's)
 * @param clockSkew how far notBefore is backdated, so that peers whose clocks lag accept a
 *     certificate as soon as it is made
 */
public record CaSettings(
    String trustDomain,
    String controlNamespace,
    Duration anchorLifetime,
    Duration issuerLifetime,
    Duration clockSkew) {

  public static final String PATH = "trellis.identity";

  public CaSettings {
    requirePositive("anchor-lifetime", anchorLifetime);
    requirePositive("issuer-lifetime", issuerLifetime);
    if (clockSkew == null || clockSkew.isNegative()) {
      throw new IllegalArgumentException(PATH + ".clock-skew must be >= 0, was " + clockSkew);
    }
    // Validates both parts as DNS labels, with the same messages as identity names.
    new io.trellis.identity.IdentityName("x", "x", controlNamespace, trustDomain);
  }

  /** Reads the settings from a root config. */
  public static CaSettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    return new CaSettings(
        c.getString("trust-domain"),
        c.getString("control-namespace"),
        c.getDuration("anchor-lifetime"),
        c.getDuration("issuer-lifetime"),
        c.getDuration("clock-skew"));
  }

  /** The anchor's subject CN: {@code root.<control-ns>.<trust-domain>}. */
  public String anchorName() {
    return "root." + controlNamespace + "." + trustDomain;
  }

  /** The issuer's subject CN: {@code identity.<control-ns>.<trust-domain>}. */
  public String issuerName() {
    return "identity." + controlNamespace + "." + trustDomain;
  }

  public CaSettings withAnchorLifetime(Duration lifetime) {
    return new CaSettings(trustDomain, controlNamespace, lifetime, issuerLifetime, clockSkew);
  }

  public CaSettings withIssuerLifetime(Duration lifetime) {
    return new CaSettings(trustDomain, controlNamespace, anchorLifetime, lifetime, clockSkew);
  }

  private static void requirePositive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(PATH + "." + key + " must be a positive duration, was " + d);
    }
  }
}
