package io.trellis.identity.csr;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.ISSUANCE;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.WEB;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.token.TokenException;
import io.trellis.identity.token.WorkloadTokens;
import io.trellis.identity.x509.Certificates;
import io.trellis.identity.x509.EcKeys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA side of issuance: one valid case in detail, then each refusal with its reason. */
class CsrSignerTest {

  @TempDir Path state;

  private final Ca ca = Fixtures.ca();
  private final CsrSigner signer = Fixtures.signer(ca, at(NOW));

  @Test
  void signsALeafForTheRequestedIdentity() throws Exception {
    LeafRequest request = LeafRequest.create(WEB);
    IssuedCertificate issued = signer.certify(request.toCertifyRequest(WEB.value()));
    X509Certificate leaf = issued.leaf();

    assertEquals(List.of(leaf, ca.issuer().certificate()), issued.chain());
    assertEquals(request.keys().getPublic(), leaf.getPublicKey());
    assertEquals(List.of(WEB.value()), Certificates.dnsNames(leaf));
    assertEquals(1, Certificates.subjectAltNameCount(leaf));
    assertEquals("CN=" + WEB.value(), leaf.getSubjectX500Principal().getName());
    assertEquals(ca.issuer().certificate().getSubjectX500Principal(), leaf.getIssuerX500Principal());
    leaf.verify(ca.issuer().certificate().getPublicKey());
    assertEquals(-1, leaf.getBasicConstraints(), "not a CA");
    boolean[] usage = leaf.getKeyUsage();
    assertTrue(usage[0], "digitalSignature");
    assertFalse(usage[5], "no keyCertSign");
    assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());
    assertArrayEquals(ski(ca.issuer().certificate()), aki(leaf));
    // 24 h from now, backdated by the 20 s clock-skew allowance.
    assertEquals(NOW.minusSeconds(20), Certificates.notBefore(leaf));
    assertEquals(NOW.plus(Duration.ofHours(24)), Certificates.notAfter(leaf));
    assertEquals(Certificates.notAfter(leaf), issued.validUntil());
    ca.bundle().verify(issued.chain(), NOW);
  }

  @Test
  void signsWithWorkloadTokens() throws Exception {
    WorkloadTokens tokens = WorkloadTokens.ensure(state, Map.of("web", WEB, "emoji", EMOJI));
    CsrSigner withTokens = new CsrSigner(ca::issuer, tokens, ISSUANCE, at(NOW));
    String webToken = WorkloadTokens.read(state, "web");
    withTokens.certify(LeafRequest.create(WEB).toCertifyRequest(webToken));
    // The web workload's token cannot get emoji's identity.
    assertReason(IssuanceException.Reason.TOKEN_MISMATCH,
        () -> withTokens.certify(LeafRequest.create(EMOJI).toCertifyRequest(webToken)));
  }

  @Test
  void leafLifetimeIsConfigurableButNeverBeyondTheIssuer() throws Exception {
    CsrSigner hourly = new CsrSigner(ca::issuer, t -> WEB,
        new IssuanceSettings(Duration.ofHours(1), Duration.ofSeconds(20)), at(NOW));
    assertEquals(NOW.plus(Duration.ofHours(1)), hourly.certify(webRequest()).validUntil());

    Ca shortIssuer = Ca.create(CA.withIssuerLifetime(Duration.ofHours(2)), at(NOW));
    CsrSigner late = new CsrSigner(shortIssuer::issuer, t -> WEB, ISSUANCE, at(NOW.plus(Duration.ofHours(1))));
    assertEquals(shortIssuer.issuer().notAfter(), late.certify(webRequest()).validUntil());
  }

  @Test
  void anotherWorkloadsToken() {
    var e = assertReason(IssuanceException.Reason.TOKEN_MISMATCH,
        () -> signer.certify(LeafRequest.create(WEB).toCertifyRequest(EMOJI.value())));
    assertTrue(e.getMessage().contains("the token proves identity " + EMOJI + ", not the requested " + WEB), e.getMessage());
  }

  @Test
  void anUnknownToken() {
    assertReason(IssuanceException.Reason.TOKEN_INVALID,
        () -> signer.certify(LeafRequest.create(WEB).toCertifyRequest("nonsense")));
  }

  @Test
  void aTokenThatCannotBeCheckedNowIsRetryable() {
    CsrSigner down = new CsrSigner(ca::issuer, t -> {
      throw new TokenException(TokenException.Reason.UNAVAILABLE, "TokenReview: connection refused");
    }, ISSUANCE, at(NOW));
    var e = assertReason(IssuanceException.Reason.TOKEN_UNAVAILABLE, () -> down.certify(webRequest()));
    assertTrue(e.reason().retryable());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
  }

  @Test
  void aMalformedIdentity() {
    var e = assertReason(IssuanceException.Reason.BAD_IDENTITY,
        () -> signer.certify(new CertifyRequest("web.emojivoto.svc.cluster.local", WEB.value(), LeafRequest.create(WEB).csr())));
    assertFalse(e.reason().retryable());
  }

  @Test
  void twoSans() {
    byte[] csr = csr(EcKeys.generate(), null, dns(WEB.value()), dns(EMOJI.value()));
    var e = assertReason(IssuanceException.Reason.SAN_MISMATCH, () -> signer.certify(request(csr)));
    assertTrue(e.getMessage().contains("exactly one DNS SAN, " + WEB + "; it has 2: DNS:" + WEB + ", DNS:" + EMOJI), e.getMessage());
  }

  @Test
  void noSan() {
    byte[] csr = csr(EcKeys.generate(), null);
    var e = assertReason(IssuanceException.Reason.SAN_MISMATCH, () -> signer.certify(request(csr)));
    assertTrue(e.getMessage().contains("it has 0"), e.getMessage());
  }

  @Test
  void aSanOtherThanTheRequestedIdentity() {
    byte[] csr = csr(EcKeys.generate(), null, dns(EMOJI.value()));
    var e = assertReason(IssuanceException.Reason.SAN_MISMATCH, () -> signer.certify(request(csr)));
    assertTrue(e.getMessage().contains("the CSR's SAN DNS:" + EMOJI + " is not the requested identity " + WEB), e.getMessage());
  }

  @Test
  void aSanOfAnotherType() {
    byte[] csr = csr(EcKeys.generate(), null,
        new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://cluster.local/ns/emojivoto/sa/web"));
    var e = assertReason(IssuanceException.Reason.SAN_MISMATCH, () -> signer.certify(request(csr)));
    assertTrue(e.getMessage().contains("URI:spiffe://"), e.getMessage());
    byte[] withIp = csr(EcKeys.generate(), null, dns(WEB.value()), new GeneralName(GeneralName.iPAddress, "10.0.0.1"));
    assertReason(IssuanceException.Reason.SAN_MISMATCH, () -> signer.certify(request(withIp)));
  }

  @Test
  void aCsrNotSignedByItsOwnKey() {
    // Someone who copied a CSR's public key but does not hold its private key.
    byte[] csr = csr(EcKeys.generate(), EcKeys.generate(), dns(WEB.value()));
    var e = assertReason(IssuanceException.Reason.BAD_CSR, () -> signer.certify(request(csr)));
    assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
  }

  @Test
  void garbageIsNotACsr() {
    assertReason(IssuanceException.Reason.BAD_CSR, () -> signer.certify(request(new byte[] {0x30, 0x03, 1, 2, 3})));
    assertReason(IssuanceException.Reason.BAD_CSR, () -> signer.certify(request(new byte[0])));
  }

  @Test
  void onlyP256KeysAreCertified() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair p384 = generator.generateKeyPair();
    byte[] csr = csr(p384, null, dns(WEB.value()));
    assertReason(IssuanceException.Reason.UNSUPPORTED_KEY, () -> signer.certify(request(csr)));
  }

  @Test
  void anExpiredIssuer() {
    Ca old = Ca.create(CA.withIssuerLifetime(Duration.ofDays(1)), at(NOW.minus(Duration.ofDays(3))));
    CsrSigner expired = Fixtures.signer(old, at(NOW));
    var e = assertReason(IssuanceException.Reason.ISSUER_EXPIRED, () -> expired.certify(webRequest()));
    assertTrue(e.getMessage().contains("the identity issuer expired at " + old.issuer().notAfter()), e.getMessage());
  }

  @Test
  void anIssuerNotValidYet() {
    CsrSigner early = Fixtures.signer(ca, at(NOW.minus(Duration.ofHours(1))));
    var e = assertReason(IssuanceException.Reason.ISSUER_NOT_YET_VALID, () -> early.certify(webRequest()));
    assertTrue(e.getMessage().contains("clock"), e.getMessage());
  }

  @Test
  void aRotatedIssuerSignsTheNextRequest() throws Exception {
    var current = new java.util.concurrent.atomic.AtomicReference<>(ca);
    Clock clock = at(NOW);
    CsrSigner rotating = new CsrSigner(() -> current.get().issuer(), t -> WEB, ISSUANCE, clock);
    X509Certificate before = rotating.certify(webRequest()).leaf();
    current.set(ca.rotateIssuer(CA, clock));
    X509Certificate after = rotating.certify(webRequest()).leaf();
    assertEquals(ca.issuer().certificate().getSubjectX500Principal(), before.getIssuerX500Principal());
    after.verify(current.get().issuer().certificate().getPublicKey());
  }

  @Test
  void tokensNeverAppearInRequestsToString() {
    assertFalse(new CertifyRequest(WEB.value(), "s3cret", new byte[3]).toString().contains("s3cret"));
  }

  private CertifyRequest webRequest() {
    return LeafRequest.create(WEB).toCertifyRequest(WEB.value());
  }

  private static CertifyRequest request(byte[] csr) {
    return new CertifyRequest(WEB.value(), WEB.value(), csr);
  }

  private static IssuanceException assertReason(
      IssuanceException.Reason reason, org.junit.jupiter.api.function.Executable call) {
    IssuanceException e = assertThrows(IssuanceException.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(e.getMessage().startsWith(reason + ": "), e.getMessage());
    return e;
  }

  private static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  /** A CSR for {@code keys} with the given SANs, signed by {@code signedBy} (or its own key). */
  static byte[] csr(KeyPair keys, KeyPair signedBy, GeneralName... sans) {
    try {
      var builder = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=test"), keys.getPublic());
      if (sans.length > 0) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      var key = (signedBy == null ? keys : signedBy).getPrivate();
      var signer = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(
          key.getAlgorithm().equals("EC") && !EcKeys.isP256(key) ? "SHA384withECDSA" : "SHA256withECDSA").build(key);
      return builder.build(signer).getEncoded();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static byte[] ski(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
  }

  static byte[] aki(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.authorityKeyIdentifier.getId());
    return AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifierOctets();
  }

}
