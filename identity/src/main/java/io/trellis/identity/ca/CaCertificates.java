package io.trellis.identity.ca;

import io.trellis.identity.x509.Certificates;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/** Builds CA certificates (anchors and issuers); leaves are built by the CSR signer. */
final class CaCertificates {

  private CaCertificates() {}

  static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  /**
   * A CA certificate for {@code subjectKey}.
   *
   * @param signer the issuing CA's certificate, or null for a self-signed anchor
   * @param pathLen how many CAs may follow this one in a chain
   */
  static X509Certificate build(
      X500Name subject,
      PublicKey subjectKey,
      X509Certificate signer,
      PrivateKey signingKey,
      Instant notBefore,
      Instant notAfter,
      int pathLen) {
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X500Name issuerName = signer == null
          ? subject
          : X500Name.getInstance(signer.getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuerName, Certificates.randomSerial(), Date.from(notBefore), Date.from(notAfter),
          subject, subjectKey);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLen));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(subjectKey));
      builder.addExtension(Extension.authorityKeyIdentifier, false, signer == null
          ? ext.createAuthorityKeyIdentifier(subjectKey)
          : ext.createAuthorityKeyIdentifier(signer));
      return Certificates.toJca(builder.build(Certificates.signer(signingKey)));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build CA certificate " + subject, e);
    }
  }
}
