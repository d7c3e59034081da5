package io.trellis.identity.tls;

import io.trellis.identity.IdentityName;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** Reads the verified peer's identity from a TLS session. */
public final class PeerIdentity {

  private PeerIdentity() {}

  /**
   * The peer's identity name, or empty when the session has no verified peer certificate. The
   * trust manager has already refused leaves without exactly one identity SAN, so on a mesh
   * session this is present.
   */
  public static Optional<IdentityName> of(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] certs = session.getPeerCertificates();
      if (certs.length == 0 || !(certs[0] instanceof X509Certificate leaf)) {
        return Optional.empty();
      }
      return Optional.of(LeafCredentials.identityOf(leaf));
    } catch (SSLPeerUnverifiedException | CertificateException e) {
      return Optional.empty();
    }
  }
}
