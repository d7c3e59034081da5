package io.trellis.identity.ca;

import io.trellis.identity.x509.Certificates;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;

/**
 * The intermediate CA that signs leaf certificates, itself signed by the trust anchor. Leaves
 * are sent with the issuer's certificate as their chain, so a proxy needs only the anchor.
 */
public record Issuer(X509Certificate certificate, PrivateKey key) {

  public Issuer {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
  }

  public Instant notBefore() {
    return Certificates.notBefore(certificate);
  }

  public Instant notAfter() {
    return Certificates.notAfter(certificate);
  }

  @Override
  public String toString() {
    // Never print the key.
    return "Issuer" + Certificates.describe(certificate);
  }
}
