package io.trellis.identity.ca;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.x509.EcKeys;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.Test;

class CaCreationTest {

  private static final boolean[] CA_USAGE = {false, false, false, false, false, true, true, false, false};

  private final Ca ca = Ca.create(CA, at(NOW));

  @Test
  void anchorIsASelfSignedP256RootAllowingOneIntermediate() throws Exception {
    X509Certificate anchor = ca.anchor().certificate();
    assertEquals("CN=root.trellis.cluster.local", anchor.getSubjectX500Principal().getName());
    assertEquals(anchor.getSubjectX500Principal(), anchor.getIssuerX500Principal());
    anchor.verify(anchor.getPublicKey());
    assertEquals(1, anchor.getBasicConstraints());
    assertArrayEquals(CA_USAGE, anchor.getKeyUsage());
    assertTrue(anchor.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
    assertTrue(anchor.getCriticalExtensionOIDs().contains(Extension.keyUsage.getId()));
    assertTrue(EcKeys.isP256(anchor.getPublicKey()));
    assertEquals("SHA256withECDSA", anchor.getSigAlgName());
    assertTrue(ca.anchor().key().isPresent());
  }

  @Test
  void issuerIsSignedByTheAnchorAndCannotSignCas() throws Exception {
    X509Certificate issuer = ca.issuer().certificate();
    X509Certificate anchor = ca.anchor().certificate();
    assertEquals("CN=identity.trellis.cluster.local", issuer.getSubjectX500Principal().getName());
    assertEquals(anchor.getSubjectX500Principal(), issuer.getIssuerX500Principal());
    issuer.verify(anchor.getPublicKey());
    assertEquals(0, issuer.getBasicConstraints());
    assertArrayEquals(CA_USAGE, issuer.getKeyUsage());
    // AKI of the issuer = SKI of the anchor: lets verifiers pick the right anchor during rotation.
    assertArrayEquals(ski(anchor), aki(issuer));
    assertArrayEquals(ski(anchor), aki(anchor));
    assertNotEquals(ski(anchor).length, 0);
  }

  @Test
  void lifetimesDefaultToOneYearAndAreBackdatedByTheClockSkew() {
    assertEquals(Duration.ofDays(365), CA.anchorLifetime());
    assertEquals(Duration.ofDays(365), CA.issuerLifetime());
    assertEquals(NOW.plus(Duration.ofDays(365)), ca.anchor().certificate().getNotAfter().toInstant());
    assertEquals(NOW.minusSeconds(20), ca.anchor().certificate().getNotBefore().toInstant());
    assertEquals(NOW.plus(Duration.ofDays(365)), ca.issuer().notAfter());
    assertEquals(NOW.minusSeconds(20), ca.issuer().notBefore());
  }

  @Test
  void lifetimesAreConfigurableAndAnIssuerNeverOutlivesItsAnchor() {
    Ca shortAnchor = Ca.create(
        CA.withAnchorLifetime(Duration.ofDays(30)).withIssuerLifetime(Duration.ofDays(90)), at(NOW));
    assertEquals(NOW.plus(Duration.ofDays(30)), shortAnchor.anchor().certificate().getNotAfter().toInstant());
    assertEquals(NOW.plus(Duration.ofDays(30)), shortAnchor.issuer().notAfter());

    Ca shortIssuer = Ca.create(CA.withIssuerLifetime(Duration.ofDays(7)), at(NOW));
    assertEquals(NOW.plus(Duration.ofDays(7)), shortIssuer.issuer().notAfter());
  }

  @Test
  void rotatingTheIssuerKeepsTheAnchor() {
    Ca rotated = ca.rotateIssuer(CA, at(NOW.plusSeconds(3600)));
    assertEquals(ca.anchor(), rotated.anchor());
    assertNotEquals(ca.issuer().certificate(), rotated.issuer().certificate());
    assertFalse(ca.issuer().key().equals(rotated.issuer().key()));
  }

  @Test
  void anIssuerCannotBeRotatedWithoutTheAnchorKey() {
    Ca external = new Ca(new TrustAnchor(ca.anchor().certificate(), null), ca.issuer());
    var e = assertThrows(IllegalStateException.class, () -> external.rotateIssuer(CA, at(NOW)));
    assertTrue(e.getMessage().contains("private key is not available"), e.getMessage());
  }

  @Test
  void keysAreNeverPrinted() {
    assertFalse(ca.issuer().toString().contains("PRIVATE"));
    assertTrue(ca.issuer().toString().contains("identity.trellis.cluster.local"));
  }

  @Test
  void settingsValidateTheirNames() {
    var e = assertThrows(RuntimeException.class, () -> new CaSettings(
        "Cluster.local", "trellis", Duration.ofDays(1), Duration.ofDays(1), Duration.ZERO));
    assertTrue(e.getMessage().contains("trust domain"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CaSettings(
        "cluster.local", "trellis", Duration.ZERO, Duration.ofDays(1), Duration.ZERO));
  }

  static byte[] ski(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets())
        .getKeyIdentifier();
  }

  static byte[] aki(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.authorityKeyIdentifier.getId());
    return AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets())
        .getKeyIdentifierOctets();
  }
}
