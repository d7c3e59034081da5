package io.trellis.identity.csr;

import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentityNameException;
import io.trellis.identity.ca.Issuer;
import io.trellis.identity.token.TokenException;
import io.trellis.identity.token.TokenValidator;
import io.trellis.identity.x509.Certificates;
import io.trellis.identity.x509.EcKeys;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * The control plane's side of issuance: checks a {@link CertifyRequest} and signs a leaf.
 *
 * <p>Checks, in order: the identity is a valid name; the token proves exactly that identity;
 * the CSR parses and is signed by its own key (proof the caller holds the private key); the key
 * is P-256; the CSR has exactly one SAN, a DNS name equal to the identity; the issuer is valid
 * now. The CSR's subject and other requested extensions are ignored: the leaf's contents are
 * decided here, never copied from the request.
 *
 * <p>Thread-safe. The issuer is read per request, so a rotation takes effect on the next one.
 */
public final class CsrSigner {

  private final Supplier<Issuer> issuer;
  private final TokenValidator tokens;
  private final IssuanceSettings settings;
  private final Clock clock;

  /**
   * @param issuer the current issuer (e.g. an AtomicReference's getter, swapped on rotation)
   */
  public CsrSigner(
      Supplier<Issuer> issuer, TokenValidator tokens, IssuanceSettings settings, Clock clock) {
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.tokens = Objects.requireNonNull(tokens, "tokens");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Signs the request's CSR, or says why not. */
  public IssuedCertificate certify(CertifyRequest request) throws IssuanceException {
    IdentityName identity = parseIdentity(request.identity());
    requireTokenProves(request.token(), identity);
    JcaPKCS10CertificationRequest csr = parseCsr(request.csr());
    PublicKey key = verifiedKey(csr);
    requireOnlySan(csr, identity);
    Issuer current = issuer.get();
    Instant now = clock.instant();
    requireIssuerValid(current, now);
    return new IssuedCertificate(sign(current, identity, key, now), List.of(current.certificate()));
  }

  private static IdentityName parseIdentity(String identity) throws IssuanceException {
    try {
      return IdentityName.parse(identity);
    } catch (IdentityNameException e) {
      throw new IssuanceException(IssuanceException.Reason.BAD_IDENTITY, e.getMessage(), e);
    }
  }

  private void requireTokenProves(String token, IdentityName identity) throws IssuanceException {
    IdentityName proven;
    try {
      proven = tokens.validate(token);
    } catch (TokenException e) {
      IssuanceException.Reason reason = e.reason() == TokenException.Reason.UNAVAILABLE
          ? IssuanceException.Reason.TOKEN_UNAVAILABLE
          : IssuanceException.Reason.TOKEN_INVALID;
      throw new IssuanceException(reason, "cannot certify " + identity + ": " + e.getMessage(), e);
    }
    if (!proven.equals(identity)) {
      throw new IssuanceException(IssuanceException.Reason.TOKEN_MISMATCH,
          "the token proves identity " + proven + ", not the requested " + identity);
    }
  }

  private static JcaPKCS10CertificationRequest parseCsr(byte[] der) throws IssuanceException {
    if (der.length == 0) {
      throw new IssuanceException(IssuanceException.Reason.BAD_CSR, "no CSR in the request");
    }
    try {
      return new JcaPKCS10CertificationRequest(der);
    } catch (IOException | RuntimeException e) {
      throw new IssuanceException(IssuanceException.Reason.BAD_CSR,
          "the CSR is not a DER-encoded PKCS#10 request: " + e.getMessage(), e);
    }
  }

  private static PublicKey verifiedKey(JcaPKCS10CertificationRequest csr)
      throws IssuanceException {
    PublicKey key;
    boolean valid;
    try {
      key = csr.getPublicKey();
      valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException
        | RuntimeException e) {
      throw new IssuanceException(IssuanceException.Reason.BAD_CSR,
          "cannot verify the CSR's signature: " + e.getMessage(), e);
    }
    if (!valid) {
      throw new IssuanceException(IssuanceException.Reason.BAD_CSR,
          "the CSR's signature does not verify with its own public key");
    }
    if (!EcKeys.isP256(key)) {
      throw new IssuanceException(IssuanceException.Reason.UNSUPPORTED_KEY,
          "the CSR's key is " + EcKeys.describe(key) + "; only ECDSA P-256 keys are certified");
    }
    return key;
  }

  private static void requireOnlySan(JcaPKCS10CertificationRequest csr, IdentityName identity)
      throws IssuanceException {
    GeneralNames sans;
    try {
      Extensions extensions = csr.getRequestedExtensions();
      sans = extensions == null
          ? null
          : GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
    } catch (RuntimeException e) {
      throw new IssuanceException(IssuanceException.Reason.BAD_CSR,
          "the CSR's requested extensions are malformed: " + e.getMessage(), e);
    }
    GeneralName[] names = sans == null ? new GeneralName[0] : sans.getNames();
    if (names.length != 1) {
      List<String> found = new ArrayList<>();
      for (GeneralName n : names) {
        found.add(describe(n));
      }
      throw new IssuanceException(IssuanceException.Reason.SAN_MISMATCH,
          "the CSR must carry exactly one DNS SAN, " + identity + "; it has " + names.length
              + (found.isEmpty() ? "" : ": " + String.join(", ", found)));
    }
    GeneralName only = names[0];
    if (only.getTagNo() != GeneralName.dNSName
        || !identity.value().equals(only.getName().toString())) {
      throw new IssuanceException(IssuanceException.Reason.SAN_MISMATCH,
          "the CSR's SAN " + describe(only) + " is not the requested identity " + identity);
    }
  }

  private static void requireIssuerValid(Issuer issuer, Instant now) throws IssuanceException {
    if (now.isAfter(issuer.notAfter())) {
      throw new IssuanceException(IssuanceException.Reason.ISSUER_EXPIRED,
          "the identity issuer expired at " + issuer.notAfter() + "; rotate it (see"
              + " docs/identity.md) and proxies will get certificates again");
    }
    if (now.isBefore(issuer.notBefore())) {
      throw new IssuanceException(IssuanceException.Reason.ISSUER_NOT_YET_VALID,
          "the identity issuer is not valid before " + issuer.notBefore() + " (now " + now
              + "; is the control plane's clock right?)");
    }
  }

  private X509Certificate sign(Issuer issuer, IdentityName identity, PublicKey key, Instant now) {
    Instant notBefore = max(now.minus(settings.clockSkew()), issuer.notBefore());
    Instant notAfter = min(now.plus(settings.leafLifetime()), issuer.notAfter());
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuer.certificate(), Certificates.randomSerial(), Date.from(notBefore),
          Date.from(notAfter),
          new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, identity.value()).build(),
          key);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, identity.value())));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(key));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          ext.createAuthorityKeyIdentifier(issuer.certificate()));
      return Certificates.toJca(builder.build(Certificates.signer(issuer.key())));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a leaf for " + identity, e);
    }
  }

  private static String describe(GeneralName name) {
    String type = switch (name.getTagNo()) {
      case GeneralName.dNSName -> "DNS";
      case GeneralName.iPAddress -> "IP";
      case GeneralName.uniformResourceIdentifier -> "URI";
      case GeneralName.rfc822Name -> "email";
      default -> "type " + name.getTagNo();
    };
    return type + ":" + name.getName();
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
