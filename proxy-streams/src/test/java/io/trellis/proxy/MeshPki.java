package io.trellis.proxy;

import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.csr.CsrSigner;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.pem.Pem;
import io.trellis.identity.tls.LeafCredentials;
import io.trellis.identity.tls.MeshCredentials;
import io.trellis.identity.x509.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * A mesh CA minted in-process (anchor + issuer, as the identity service has them) and leaves
 * for workloads, signed by the real {@link CsrSigner} from a real CSR. Also writes PEM files for
 * clients outside the JVM (curl, openssl, testssl).
 */
final class MeshPki {
  static final IdentitySettings SETTINGS = IdentitySettings.defaults();

  final Ca ca;

  MeshPki(Instant at) {
    ca = Ca.create(SETTINGS.ca(), clock(at));
  }

  MeshPki() {
    this(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  static Clock clock(Instant at) {
    return Clock.fixed(at, ZoneOffset.UTC);
  }

  static IdentityName identity(String serviceAccount) {
    return SETTINGS.identityOf(serviceAccount, TestMesh.NAMESPACE);
  }

  /** A leaf for the service account, issued at {@code at}. */
  LeafCredentials leaf(String serviceAccount, Instant at) {
    IdentityName identity = identity(serviceAccount);
    LeafRequest request = LeafRequest.create(identity);
    CsrSigner signer =
        new CsrSigner(ca::issuer, token -> identity, SETTINGS.issuance(), clock(at));
    try {
      IssuedCertificate issued = signer.certify(request.toCertifyRequest("token"));
      return LeafCredentials.accept(request, issued, ca.bundle(), at);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  LeafCredentials leaf(String serviceAccount) {
    return leaf(serviceAccount, Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  /** Live credentials for a workload, with its first certificate installed. */
  MeshCredentials credentials(String serviceAccount) {
    MeshCredentials credentials = new MeshCredentials(ca.bundle());
    credentials.update(leaf(serviceAccount));
    return credentials;
  }

  /** Writes {@code leaf}'s key and chain and this CA's anchor as PEM files into {@code dir}. */
  Path[] writePem(Path dir, String name, java.security.PrivateKey key,
      List<java.security.cert.X509Certificate> chain) throws Exception {
    Path cert = dir.resolve(name + ".crt");
    Path pkey = dir.resolve(name + ".key");
    Path anchor = dir.resolve("anchor.crt");
    Files.writeString(cert, Pem.encode(chain));
    Files.writeString(pkey, Pem.encode(key));
    Files.writeString(anchor, Pem.encode(ca.anchor().certificate()));
    return new Path[] {cert, pkey, anchor};
  }

  /**
   * A leaf signed by this CA's issuer whose only SAN is {@code dns}, not an identity name: what a
   * certificate from the right CA but for something else looks like.
   */
  Object[] foreignLeaf(String dns) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = g.generateKeyPair();
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
            ca.issuer().certificate(),
            Certificates.randomSerial(),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plusSeconds(3600)),
            new X500Name("CN=" + dns),
            keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, dns)));
    var cert = Certificates.toJca(builder.build(Certificates.signer(ca.issuer().key())));
    return new Object[] {keys.getPrivate(), List.of(cert, ca.issuer().certificate())};
  }
}
