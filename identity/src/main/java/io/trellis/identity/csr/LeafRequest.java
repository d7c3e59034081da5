package io.trellis.identity.csr;

import io.trellis.identity.IdentityName;
import io.trellis.identity.x509.Certificates;
import io.trellis.identity.x509.EcKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The proxy's side of issuance: a fresh key pair and a CSR for one identity. The private key
 * stays in this object (and then in the proxy's key manager); only {@link #csr()} is sent.
 */
public final class LeafRequest {

  private final IdentityName identity;
  private final KeyPair keys;
  private final byte[] csr;

  private LeafRequest(IdentityName identity, KeyPair keys, byte[] csr) {
    this.identity = identity;
    this.keys = keys;
    this.csr = csr;
  }

  /** Generates a P-256 key pair and a CSR with subject CN and exactly one DNS SAN = identity. */
  public static LeafRequest create(IdentityName identity) {
    Objects.requireNonNull(identity, "identity");
    KeyPair keys = EcKeys.generate();
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, identity.value())));
      byte[] csr = new JcaPKCS10CertificationRequestBuilder(
              new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, identity.value()).build(),
              keys.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(Certificates.signer(keys.getPrivate()))
          .getEncoded();
      return new LeafRequest(identity, keys, csr);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode CSR for " + identity, e);
    }
  }

  public IdentityName identity() {
    return identity;
  }

  /** The key pair; its private half must never be sent anywhere. */
  public KeyPair keys() {
    return keys;
  }

  /** The DER-encoded PKCS#10 request. */
  public byte[] csr() {
    return csr.clone();
  }

  /** The request to send, with the workload's token. */
  public CertifyRequest toCertifyRequest(String token) {
    return new CertifyRequest(identity.value(), token, csr);
  }

  @Override
  public String toString() {
    return "LeafRequest[" + identity + "]";
  }
}
