package io.trellis.identity.tls;

import io.trellis.identity.IdentityName;
import io.trellis.identity.trust.ChainVerificationException;
import io.trellis.identity.trust.TrustBundle;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies peers against the current trust bundle of {@link MeshCredentials}. Both directions
 * require a chain to an anchor of the bundle, valid now, whose leaf has exactly one DNS SAN that
 * is an identity name and the right extended key usage. A server's identity must also equal the
 * expected one, which the client engine carries as its SNI ({@link TlsContexts#clientEngine}).
 * Without an expected identity a server is refused: there is no "encrypt but don't verify".
 */
final class MeshTrustManager extends X509ExtendedTrustManager {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private final MeshCredentials credentials;
  private final Clock clock;

  MeshTrustManager(MeshCredentials credentials, Clock clock) {
    this.credentials = credentials;
    this.clock = clock;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain, CLIENT_AUTH, "client");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain, CLIENT_AUTH, "client");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain, CLIENT_AUTH, "client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    requireExpected(verify(chain, SERVER_AUTH, "server"),
        engine == null ? Optional.empty() : expected(engine.getSSLParameters()));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    requireExpected(verify(chain, SERVER_AUTH, "server"), socket instanceof SSLSocket ssl
        ? expected(ssl.getSSLParameters())
        : Optional.empty());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    requireExpected(verify(chain, SERVER_AUTH, "server"), Optional.empty());
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    TrustBundle bundle = credentials.bundle();
    return bundle == null ? new X509Certificate[0] : bundle.anchors().toArray(new X509Certificate[0]);
  }

  private IdentityName verify(X509Certificate[] chain, String purpose, String role)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the " + role + " presented no certificate");
    }
    TrustBundle bundle = credentials.bundle();
    if (bundle == null) {
      throw new CertificateException("no trust anchors yet: the proxy has no certificate");
    }
    try {
      bundle.verify(Arrays.asList(chain), clock.instant());
    } catch (ChainVerificationException e) {
      throw new CertificateException(
          "the " + role + "'s certificate is refused (" + e.reason() + "): " + e.getMessage(), e);
    }
    X509Certificate leaf = chain[0];
    List<String> usages;
    try {
      usages = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new CertificateException("the " + role + "'s extended key usage is malformed", e);
    }
    // No extension means any purpose (RFC 5280); Trellis leaves carry both purposes.
    if (usages != null && !usages.contains(purpose)) {
      throw new CertificateException("the " + role + "'s certificate is not for "
          + (purpose.equals(SERVER_AUTH) ? "serverAuth" : "clientAuth"));
    }
    return LeafCredentials.identityOf(leaf);
  }

  private static void requireExpected(IdentityName actual, Optional<String> expected)
      throws CertificateException {
    if (expected.isEmpty()) {
      throw new CertificateException("no expected server identity for this connection (the "
          + "client engine must be made by TlsContexts.clientEngine); refusing " + actual);
    }
    if (!expected.get().equals(actual.value())) {
      throw new CertificateException("the server is " + actual + ", expected " + expected.get());
    }
  }

  private static Optional<String> expected(SSLParameters params) {
    List<SNIServerName> names = params.getServerNames();
    if (names == null) {
      return Optional.empty();
    }
    return names.stream()
        .filter(n -> n.getType() == StandardConstants.SNI_HOST_NAME)
        .map(n -> n instanceof SNIHostName host ? host.getAsciiName() : null)
        .filter(n -> n != null)
        .findFirst();
  }
}
