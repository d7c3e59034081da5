package io.trellis.identity.tls;

import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentityNameException;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.trust.ChainVerificationException;
import io.trellis.identity.trust.TrustBundle;
import io.trellis.identity.x509.Certificates;
import io.trellis.identity.x509.EcKeys;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A proxy's private key and certificate chain (leaf first, then the issuer).
 *
 * @param identity the leaf's identity name, its only DNS SAN
 */
public record LeafCredentials(PrivateKey key, List<X509Certificate> chain, IdentityName identity) {

  public LeafCredentials {
    Objects.requireNonNull(key, "key");
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a leaf chain needs at least the leaf");
    }
    Objects.requireNonNull(identity, "identity");
  }

  /**
   * Pairs the proxy's key with the certificate the CA returned, checking it before use: the
   * leaf carries the requested identity and the proxy's public key, and its chain verifies
   * against the bundle. A CA that returns something else is refused here, not by peers later.
   */
  public static LeafCredentials accept(
      LeafRequest request, IssuedCertificate issued, TrustBundle bundle, Instant now)
      throws CertificateException {
    X509Certificate leaf = issued.leaf();
    if (!leaf.getPublicKey().equals(request.keys().getPublic())) {
      throw new CertificateException("the certificate from the CA is not for this proxy's key");
    }
    IdentityName identity = identityOf(leaf);
    if (!identity.equals(request.identity())) {
      throw new CertificateException(
          "the certificate from the CA is for " + identity + ", not " + request.identity());
    }
    try {
      bundle.verify(issued.chain(), now);
    } catch (ChainVerificationException e) {
      throw new CertificateException("the certificate from the CA does not verify: "
          + e.getMessage(), e);
    }
    return new LeafCredentials(request.keys().getPrivate(), issued.chain(), identity);
  }

  /** Credentials from a key and chain read elsewhere (e.g. PEM files); checks they match. */
  public static LeafCredentials of(PrivateKey key, List<X509Certificate> chain)
      throws CertificateException {
    if (chain.isEmpty()) {
      throw new CertificateException("no certificate");
    }
    if (!EcKeys.matches(key, chain.get(0).getPublicKey())) {
      throw new CertificateException("the key does not belong to the leaf certificate "
          + Certificates.describe(chain.get(0)));
    }
    return new LeafCredentials(key, chain, identityOf(chain.get(0)));
  }

  /**
   * The identity of a leaf: its one DNS SAN, parsed.
   *
   * @throws CertificateException when the leaf has not exactly one SAN or it is no identity
   */
  public static IdentityName identityOf(X509Certificate leaf) throws CertificateException {
    List<String> dns = Certificates.dnsNames(leaf);
    if (dns.size() != 1 || Certificates.subjectAltNameCount(leaf) != 1) {
      throw new CertificateException("a mesh certificate has exactly one DNS SAN; "
          + Certificates.describe(leaf) + " has DNS SANs " + dns);
    }
    try {
      return IdentityName.parse(dns.get(0));
    } catch (IdentityNameException e) {
      throw new CertificateException("the SAN is not an identity name: " + e.getMessage(), e);
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public Instant notAfter() {
    return Certificates.notAfter(leaf());
  }

  @Override
  public String toString() {
    return "LeafCredentials[" + identity + ", valid until " + notAfter() + "]";
  }
}
