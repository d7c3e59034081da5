package io.trellis.identity.csr;

import io.trellis.identity.x509.Certificates;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A signed leaf and the intermediates a peer needs to chain it to a trust anchor (the issuer).
 */
public record IssuedCertificate(X509Certificate leaf, List<X509Certificate> intermediates) {

  public IssuedCertificate {
    Objects.requireNonNull(leaf, "leaf");
    intermediates = List.copyOf(intermediates);
  }

  /** Leaf first, then the intermediates: what a proxy presents in a handshake. */
  public List<X509Certificate> chain() {
    List<X509Certificate> chain = new ArrayList<>(intermediates.size() + 1);
    chain.add(leaf);
    chain.addAll(intermediates);
    return List.copyOf(chain);
  }

  public Instant validUntil() {
    return Certificates.notAfter(leaf);
  }
}
