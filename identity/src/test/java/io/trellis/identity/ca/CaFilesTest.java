package io.trellis.identity.ca;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.WEB;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.pem.Pem;
import io.trellis.identity.pem.PemException;
import io.trellis.identity.x509.EcKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a CA from PEM files: round trip, and one clear error per mistake. */
class CaFilesTest {

  @TempDir Path dir;

  private final Ca ca = Fixtures.ca();
  private Path anchorCrt;
  private Path anchorKey;
  private Path issuerCrt;
  private Path issuerKey;

  @BeforeEach
  void writeFiles() throws Exception {
    anchorCrt = write("anchor.crt", Pem.encode(ca.anchor().certificate()));
    anchorKey = write("anchor.key", Pem.encode(ca.anchor().key().orElseThrow()));
    issuerCrt = write("issuer.crt", Pem.encode(ca.issuer().certificate()));
    issuerKey = write("issuer.key", Pem.encode(ca.issuer().key()));
  }

  @Test
  void roundTrip() throws Exception {
    Ca loaded = new CaFiles(anchorCrt, anchorKey, issuerCrt, issuerKey).load(at(NOW));
    assertEquals(ca.anchor().certificate(), loaded.anchor().certificate());
    assertEquals(ca.anchor().key(), loaded.anchor().key());
    assertEquals(ca.issuer(), loaded.issuer());
    assertTrue(Files.readString(issuerKey).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
  }

  @Test
  void theAnchorKeyIsOptional() throws Exception {
    Ca loaded = new CaFiles(anchorCrt, null, issuerCrt, issuerKey).load(at(NOW));
    assertTrue(loaded.anchor().key().isEmpty());
  }

  @Test
  void sec1EcKeysAreAcceptedToo() throws Exception {
    // What `openssl ecparam -genkey` writes: SEC1 with the curve inside the key structure.
    var pkcs8 = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(ca.issuer().key().getEncoded());
    var d = ((java.security.interfaces.ECPrivateKey) ca.issuer().key()).getS();
    var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, d,
        pkcs8.getPrivateKeyAlgorithm().getParameters());
    var writer = new java.io.StringWriter();
    try (var pem = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(writer)) {
      pem.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }
    assertTrue(writer.toString().contains("BEGIN EC PRIVATE KEY"));
    write("issuer.key", writer.toString());
    var loaded = new CaFiles(anchorCrt, null, issuerCrt, issuerKey).load(at(NOW)).issuer().key();
    assertEquals(d, ((java.security.interfaces.ECPrivateKey) loaded).getS());
  }

  @Test
  void missingFile() {
    var e = load(new CaFiles(dir.resolve("nope.crt"), null, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.UNREADABLE, e.reason());
    assertEquals(dir.resolve("nope.crt"), e.file());
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }

  @Test
  void certificateAndKeySwapped() {
    var e = load(new CaFiles(anchorCrt, null, issuerKey, issuerCrt));
    assertEquals(CaLoadException.Reason.UNREADABLE, e.reason());
    assertEquals(issuerKey, e.file());
    assertTrue(e.getMessage().contains("is this a key file?"), e.getMessage());
  }

  @Test
  void notPem() throws Exception {
    write("issuer.crt", "hello");
    var e = load(new CaFiles(anchorCrt, null, issuerCrt, issuerKey));
    assertEquals(issuerCrt, e.file());
    assertTrue(e.getMessage().contains("no CERTIFICATE block"), e.getMessage());
  }

  @Test
  void aLeafIsNotACa() throws Exception {
    write("issuer.crt", Pem.encode(Fixtures.leaf(ca, WEB).leaf()));
    var e = load(new CaFiles(anchorCrt, null, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.NOT_A_CA, e.reason());
    assertEquals(issuerCrt, e.file());
    assertTrue(e.getMessage().contains("not a CA certificate"), e.getMessage());
  }

  @Test
  void keyDoesNotMatchCertificate() throws Exception {
    write("issuer.key", Pem.encode(EcKeys.generate().getPrivate()));
    var e = load(new CaFiles(anchorCrt, null, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.KEY_MISMATCH, e.reason());
    assertEquals(issuerKey, e.file());
    assertTrue(e.getMessage().contains("does not belong to the certificate in " + issuerCrt), e.getMessage());
  }

  @Test
  void anchorKeyDoesNotMatch() throws Exception {
    write("anchor.key", Pem.encode(ca.issuer().key()));
    var e = load(new CaFiles(anchorCrt, anchorKey, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.KEY_MISMATCH, e.reason());
    assertEquals(anchorKey, e.file());
  }

  @Test
  void expiredIssuer() throws Exception {
    Ca old = Ca.create(CA.withIssuerLifetime(Duration.ofDays(1)), at(NOW.minus(Duration.ofDays(10))));
    write("anchor.crt", Pem.encode(old.anchor().certificate()));
    write("issuer.crt", Pem.encode(old.issuer().certificate()));
    write("issuer.key", Pem.encode(old.issuer().key()));
    var e = load(new CaFiles(anchorCrt, null, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.EXPIRED, e.reason());
    assertEquals(issuerCrt, e.file());
    assertTrue(e.getMessage().contains("the issuer expired at"), e.getMessage());
  }

  @Test
  void issuerNotSignedByTheAnchor() throws Exception {
    Ca other = Fixtures.ca();
    write("issuer.crt", Pem.encode(other.issuer().certificate()));
    write("issuer.key", Pem.encode(other.issuer().key()));
    var e = load(new CaFiles(anchorCrt, null, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.NOT_SIGNED_BY_ANCHOR, e.reason());
    assertEquals(issuerCrt, e.file());
    assertTrue(e.getMessage().contains("is not signed by the trust anchor"), e.getMessage());
  }

  @Test
  void issuerKeyMustBeP256() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    PrivateKey p384 = generator.generateKeyPair().getPrivate();
    write("issuer.key", Pem.encode(p384));
    var e = load(new CaFiles(anchorCrt, null, issuerCrt, issuerKey));
    assertEquals(CaLoadException.Reason.UNSUPPORTED_KEY, e.reason());
    assertTrue(e.getMessage().contains("P-256"), e.getMessage());
  }

  @Test
  void encryptedKeysAreRefusedWithAHint() {
    // openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkcs8 -topk8 -v2 aes-128-cbc
    String encrypted = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHrMFYGCSqGSIb3DQEFDTBJMCgGCSqGSIb3DQEFDDAbBAghXDn/M2XobQIBATAM
        BggqhkiG9w0CCQUAMB0GCWCGSAFlAwQBAgQQkTHUbq3EcVlWaRa1XAbjPASBkKdE
        iSeShc9wQ8ok/vxrpjsvY7VKbyVISTMk7OPs1PzfPdfYyE9NCiaMuLSsozFmTS0u
        ZcNS2abVcEnc7RzFIZpBtN3w0qrvnl5aeksyksttuiVOir/a+6BNoHe5UpOcfRLI
        CvUbVfRc+tGVGxOFkWVQZN5eowD0D0MeJZ6GNH+jDVji0e/fmQc38V0lj6rUbQ==
        -----END ENCRYPTED PRIVATE KEY-----
        """;
    var e = assertThrows(PemException.class, () -> Pem.decodePrivateKey(encrypted, "issuer.key"));
    assertTrue(e.getMessage().startsWith("issuer.key: "), e.getMessage());
    assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
  }

  @Test
  void certificatesRoundTripThroughPem() throws Exception {
    var certs = List.of(ca.issuer().certificate(), ca.anchor().certificate());
    assertEquals(certs, Pem.decodeCertificates(Pem.encode(certs), "test"));
  }

  private CaLoadException load(CaFiles files) {
    return assertThrows(CaLoadException.class, () -> files.load(at(NOW)));
  }

  private Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }
}
