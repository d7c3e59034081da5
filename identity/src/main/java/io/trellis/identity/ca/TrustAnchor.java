package io.trellis.identity.ca;

import io.trellis.identity.x509.Certificates;
import io.trellis.identity.x509.EcKeys;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The mesh's root of trust: a self-signed CA certificate every proxy trusts, and (when this
 * control plane made it) its key. A trust anchor brought from outside usually comes without its
 * key, which stays offline; then issuers are rotated by its owner, not by Trellis.
 */
public final class TrustAnchor {

  private final X509Certificate certificate;
  private final PrivateKey key;

  /**
   * @param key the anchor's private key, or null when it is kept elsewhere
   */
  public TrustAnchor(X509Certificate certificate, PrivateKey key) {
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.key = key;
  }

  /** A new self-signed anchor {@code root.<control-ns>.<trust-domain>}, ECDSA P-256. */
  public static TrustAnchor create(CaSettings settings, Clock clock) {
    KeyPair keys = EcKeys.generate();
    Instant now = clock.instant();
    X509Certificate cert = CaCertificates.build(
        CaCertificates.name(settings.anchorName()), keys.getPublic(), null, keys.getPrivate(),
        now.minus(settings.clockSkew()), now.plus(settings.anchorLifetime()), 1);
    return new TrustAnchor(cert, keys.getPrivate());
  }

  /**
   * Signs a new issuer, valid for the settings' issuer lifetime but never beyond this anchor.
   *
   * @throws IllegalStateException when this anchor's key is not available
   */
  public Issuer issue(CaSettings settings, Clock clock) {
    PrivateKey signingKey = key().orElseThrow(() -> new IllegalStateException(
        "the trust anchor's private key is not available, so Trellis cannot sign an issuer; "
            + "have the anchor's owner sign one and load it with CaFiles"));
    KeyPair keys = EcKeys.generate();
    Instant now = clock.instant();
    Instant notAfter = min(now.plus(settings.issuerLifetime()), Certificates.notAfter(certificate));
    Instant notBefore = max(now.minus(settings.clockSkew()), Certificates.notBefore(certificate));
    X509Certificate cert = CaCertificates.build(
        CaCertificates.name(settings.issuerName()), keys.getPublic(), certificate, signingKey,
        notBefore, notAfter, 0);
    return new Issuer(cert, keys.getPrivate());
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public Optional<PrivateKey> key() {
    return Optional.ofNullable(key);
  }

  @Override
  public String toString() {
    return "TrustAnchor" + Certificates.describe(certificate);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
