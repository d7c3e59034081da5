package io.trellis.identity.tls;

import io.trellis.identity.IdentityName;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * The proxy's mTLS over {@link MeshCredentials}: engines (and, for blocking callers, sockets)
 * configured for each side. TLS 1.3 only: there is no older version to downgrade to, and 1.3
 * encrypts the certificates, so identities are not visible on the wire.
 *
 * <p>No handshake is ever a resumption. A resumed session skips certificate checks, and the
 * JDK's client cache is keyed by host and port, not by the identity the client expects: a
 * client could resume, with a server now expected to be another workload, a session verified
 * for the old one; a server would keep trusting a client whose certificate has expired or whose
 * anchor left the bundle. So servers send no session tickets and clients discard any they are
 * sent (client engines also have no peer host, for which the JDK offers no cached session). Mesh connections are pooled and long-lived, and a full ECDSA P-256
 * handshake is cheap. {@code ResumptionTest} checks each of these against plain JDK peers.
 */
public final class TlsContexts {

  public static final String TLS13 = "TLSv1.3";

  /** One second beyond the 7 days a TLS 1.3 ticket may live (RFC 8446, section 4.6.1). */
  private static final int NO_TICKETS_TIMEOUT = (int) Duration.ofDays(7).toSeconds() + 1;

  private final SSLContext server;
  private final SSLContext client;
  private final MeshCredentials credentials;

  private TlsContexts(SSLContext server, SSLContext client, MeshCredentials credentials) {
    this.server = server;
    this.client = client;
    this.credentials = credentials;
  }

  /**
   * @param clock the time certificates are checked at
   */
  public static TlsContexts create(MeshCredentials credentials, Clock clock) {
    Objects.requireNonNull(credentials, "credentials");
    return new TlsContexts(context(credentials, clock), context(credentials, clock), credentials);
  }

  public static TlsContexts create(MeshCredentials credentials) {
    return create(credentials, Clock.systemUTC());
  }

  private static SSLContext context(MeshCredentials credentials, Clock clock) {
    try {
      SSLContext context = SSLContext.getInstance(TLS13);
      context.init(
          new KeyManager[] {new MeshKeyManager(credentials)},
          new TrustManager[] {new MeshTrustManager(credentials, clock)},
          new SecureRandom());
      // Counter-intuitive but deliberate: the JDK neither sends (server) nor keeps (client)
      // TLS 1.3 session tickets when the session timeout exceeds the 7-day maximum ticket
      // lifetime of RFC 8446. Without tickets there is no resumption (see the class comment).
      context.getServerSessionContext().setSessionTimeout(NO_TICKETS_TIMEOUT);
      context.getClientSessionContext().setSessionTimeout(NO_TICKETS_TIMEOUT);
      context.getClientSessionContext().setSessionCacheSize(1);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no TLS 1.3", e);
    }
  }

  /**
   * The server side's context, for APIs that take one (Pekko HTTP's {@code
   * ConnectionContext.httpsServer}, server socket factories); apply {@link #serverParameters}.
   */
  public SSLContext serverContext() {
    return server;
  }

  public MeshCredentials credentials() {
    return credentials;
  }

  /** An engine for an inbound connection: TLS 1.3, client certificate required. */
  public SSLEngine serverEngine() {
    SSLEngine engine = server.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setSSLParameters(serverParameters());
    return engine;
  }

  /** A listening socket for inbound mTLS (blocking servers, tests). */
  public SSLServerSocket serverSocket(InetSocketAddress address) throws IOException {
    SSLServerSocket socket = (SSLServerSocket) server.getServerSocketFactory().createServerSocket();
    socket.setSSLParameters(serverParameters());
    socket.bind(address);
    return socket;
  }

  /**
   * An engine for an outbound connection to a server that must prove {@code expected}.
   *
   * @param expected the server's identity, from discovery
   */
  public SSLEngine clientEngine(IdentityName expected) {
    SSLEngine engine = client.createSSLEngine(); // no peer host: nothing to resume
    engine.setUseClientMode(true);
    engine.setSSLParameters(clientParameters(expected));
    return engine;
  }

  /**
   * Connects to a server that must prove {@code expected} and completes the handshake (blocking
   * clients such as the CLI, tests).
   *
   * @throws javax.net.ssl.SSLException when the server is not who it must be
   */
  public SSLSocket connect(IdentityName expected, InetSocketAddress address, Duration timeout)
      throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(address, (int) timeout.toMillis());
      plain.setSoTimeout((int) timeout.toMillis());
      SSLSocket socket = (SSLSocket) client.getSocketFactory()
          .createSocket(plain, null, address.getPort(), true);
      socket.setUseClientMode(true);
      socket.setSSLParameters(clientParameters(expected));
      socket.startHandshake();
      return socket;
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  /** Server parameters: TLS 1.3 only, client certificate required. */
  public SSLParameters serverParameters() {
    SSLParameters params = server.getDefaultSSLParameters();
    params.setProtocols(new String[] {TLS13});
    params.setNeedClientAuth(true);
    return params;
  }

  /**
   * Client parameters: TLS 1.3 only, SNI = the expected identity (the trust manager checks the
   * server's SAN against it, and linkerd2-proxy sends its expected identity the same way), no
   * hostname verification: names come from discovery, not DNS.
   */
  public SSLParameters clientParameters(IdentityName expected) {
    Objects.requireNonNull(expected, "expected");
    SSLParameters params = client.getDefaultSSLParameters();
    params.setProtocols(new String[] {TLS13});
    params.setServerNames(List.of(new SNIHostName(expected.value())));
    params.setEndpointIdentificationAlgorithm(null);
    return params;
  }
}
