package io.trellis.identity.ca;

import io.trellis.identity.pem.Pem;
import io.trellis.identity.pem.PemException;
import io.trellis.identity.x509.Certificates;
import io.trellis.identity.x509.EcKeys;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * A CA brought as PEM files ({@code trellis identity init --anchor ... --issuer ...}), checked
 * before use so that a mistake is reported with the file at fault rather than as proxies
 * failing handshakes later.
 *
 * @param anchorCertificate the trust anchor's certificate
 * @param anchorKey the anchor's key, or null when it stays offline (then issuers cannot be
 *     rotated by Trellis)
 * @param issuerCertificate the issuer's certificate (further certificates in the file ignored)
 * @param issuerKey the issuer's private key, PKCS#8 or SEC1
 */
public record CaFiles(Path anchorCertificate, Path anchorKey, Path issuerCertificate, Path issuerKey) {

  public CaFiles {
    Objects.requireNonNull(anchorCertificate, "anchorCertificate");
    Objects.requireNonNull(issuerCertificate, "issuerCertificate");
    Objects.requireNonNull(issuerKey, "issuerKey");
  }

  /**
   * Loads and checks the CA: both certificates are CAs valid now, the keys match their
   * certificates, the issuer's key is P-256 and the issuer is signed by the anchor.
   */
  public Ca load(Clock clock) throws CaLoadException {
    return load(clock, true);
  }

  /**
   * @param requireValidIssuer false to accept an issuer that has expired (or is not valid yet),
   *     so that a control plane can start, say so, and refuse CSRs with a clear reason
   */
  Ca load(Clock clock, boolean requireValidIssuer) throws CaLoadException {
    Instant now = clock.instant();
    X509Certificate anchorCert = readCertificate(anchorCertificate);
    requireCa(anchorCertificate, anchorCert, "trust anchor");
    requireValid(anchorCertificate, anchorCert, "trust anchor", now);
    PrivateKey anchorPrivate = null;
    if (anchorKey != null) {
      anchorPrivate = readKey(anchorKey);
      requireMatch(anchorKey, anchorPrivate, anchorCert, anchorCertificate);
    }

    X509Certificate issuerCert = readCertificate(issuerCertificate);
    requireCa(issuerCertificate, issuerCert, "issuer");
    if (requireValidIssuer) {
      requireValid(issuerCertificate, issuerCert, "issuer", now);
    }
    requireSignedBy(issuerCertificate, issuerCert, anchorCert, anchorCertificate);
    PrivateKey issuerPrivate = readKey(issuerKey);
    if (!EcKeys.isP256(issuerPrivate)) {
      throw new CaLoadException(issuerKey, CaLoadException.Reason.UNSUPPORTED_KEY,
          "the issuer key is " + EcKeys.describe(issuerPrivate) + "; Trellis issues with ECDSA "
              + "P-256 keys only (e.g. step certificate create --kty EC --crv P-256)");
    }
    requireMatch(issuerKey, issuerPrivate, issuerCert, issuerCertificate);
    return new Ca(new TrustAnchor(anchorCert, anchorPrivate), new Issuer(issuerCert, issuerPrivate));
  }

  private static X509Certificate readCertificate(Path file) throws CaLoadException {
    try {
      return Pem.readCertificates(file).get(0);
    } catch (PemException e) {
      throw new CaLoadException(file, CaLoadException.Reason.UNREADABLE, reasonOf(e), e);
    }
  }

  private static PrivateKey readKey(Path file) throws CaLoadException {
    try {
      return Pem.readPrivateKey(file);
    } catch (PemException e) {
      throw new CaLoadException(file, CaLoadException.Reason.UNREADABLE, reasonOf(e), e);
    }
  }

  private static String reasonOf(PemException e) {
    String message = e.getMessage();
    String prefix = e.source() + ": ";
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }

  static void requireCa(Path file, X509Certificate cert, String role) throws CaLoadException {
    boolean[] usage = cert.getKeyUsage();
    boolean canSign = usage == null || (usage.length > 5 && usage[5]);
    if (cert.getBasicConstraints() < 0 || !canSign) {
      throw new CaLoadException(file, CaLoadException.Reason.NOT_A_CA,
          "the " + role + " " + Certificates.describe(cert) + " is not a CA certificate ("
              + (cert.getBasicConstraints() < 0 ? "no basicConstraints CA:TRUE" : "keyUsage lacks keyCertSign")
              + "); did you give a leaf certificate?");
    }
  }

  static void requireValid(Path file, X509Certificate cert, String role, Instant now)
      throws CaLoadException {
    if (now.isAfter(Certificates.notAfter(cert))) {
      throw new CaLoadException(file, CaLoadException.Reason.EXPIRED,
          "the " + role + " expired at " + Certificates.notAfter(cert) + " (now " + now + ")");
    }
    if (now.isBefore(Certificates.notBefore(cert))) {
      throw new CaLoadException(file, CaLoadException.Reason.NOT_YET_VALID,
          "the " + role + " is not valid before " + Certificates.notBefore(cert) + " (now " + now
              + "; is this machine's clock right?)");
    }
  }

  static void requireMatch(Path keyFile, PrivateKey key, X509Certificate cert, Path certFile)
      throws CaLoadException {
    if (!EcKeys.matches(key, cert.getPublicKey())) {
      throw new CaLoadException(keyFile, CaLoadException.Reason.KEY_MISMATCH,
          "this key does not belong to the certificate in " + certFile + " "
              + Certificates.describe(cert));
    }
  }

  static void requireSignedBy(Path file, X509Certificate issuer, X509Certificate anchor,
      Path anchorFile) throws CaLoadException {
    boolean signed;
    try {
      issuer.verify(anchor.getPublicKey());
      signed = issuer.getIssuerX500Principal().equals(anchor.getSubjectX500Principal());
    } catch (GeneralSecurityException e) {
      signed = false;
    }
    if (!signed) {
      throw new CaLoadException(file, CaLoadException.Reason.NOT_SIGNED_BY_ANCHOR,
          "the issuer " + Certificates.describe(issuer) + " is not signed by the trust anchor "
              + Certificates.describe(anchor) + " in " + anchorFile);
    }
  }
}
