package io.trellis.identity.x509;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Small helpers for building and reading certificates. */
public final class Certificates {

  /** GeneralName type of a dNSName in {@link X509Certificate#getSubjectAlternativeNames()}. */
  private static final int DNS_NAME = 2;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Certificates() {}

  /** A random positive 128-bit serial: unique without coordination between CA instances. */
  public static BigInteger randomSerial() {
    return new BigInteger(128, RANDOM).setBit(127);
  }

  /** A signer for ECDSA P-256 keys. */
  public static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(EcKeys.SIGNATURE_ALGORITHM).build(key);
    } catch (OperatorCreationException e) {
      throw new IllegalArgumentException("cannot sign with a " + key.getAlgorithm() + " key", e);
    }
  }

  /** Converts Bouncycastle's holder to a JCA certificate. */
  public static X509Certificate toJca(X509CertificateHolder holder) {
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException e) {
      throw new IllegalStateException("Bouncycastle produced a certificate the JVM cannot read", e);
    }
  }

  /** The certificate's subjectAltName entries of type dNSName, in order. */
  public static List<String> dnsNames(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    for (List<?> entry : subjectAltNames(cert)) {
      if (((Integer) entry.get(0)) == DNS_NAME) {
        names.add((String) entry.get(1));
      }
    }
    return names;
  }

  /** How many subjectAltName entries of any type the certificate has. */
  public static int subjectAltNameCount(X509Certificate cert) {
    return subjectAltNames(cert).size();
  }

  private static Collection<List<?>> subjectAltNames(X509Certificate cert) {
    try {
      Collection<List<?>> names = cert.getSubjectAlternativeNames();
      return names == null ? List.of() : names;
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }

  /** True when {@code at} is within the certificate's validity period (inclusive). */
  public static boolean isValidAt(X509Certificate cert, Instant at) {
    return !at.isBefore(notBefore(cert)) && !at.isAfter(notAfter(cert));
  }

  public static Instant notBefore(X509Certificate cert) {
    return cert.getNotBefore().toInstant();
  }

  public static Instant notAfter(X509Certificate cert) {
    return cert.getNotAfter().toInstant();
  }

  /** A one-line description for error messages: subject and validity. */
  public static String describe(X509Certificate cert) {
    return "'" + cert.getSubjectX500Principal().getName() + "' (valid " + notBefore(cert) + " to "
        + notAfter(cert) + ")";
  }
}
