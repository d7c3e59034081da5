package io.trellis.identity.tls;

import io.trellis.identity.IdentityName;
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
import javax.net.ssl.TrustManager;

/**
 * The proxy's mTLS: one {@link SSLContext} over {@link MeshCredentials}, and engines configured
 * for each side. TLS 1.3 only: no downgrade to be negotiated, and 1.3 encrypts the
 * certificates, so identities are not visible on the wire.
 */
public final class TlsContexts {

  public static final String TLS13 = "TLSv1.3";

  /**
   * Resumed sessions skip certificate checks, so they must not outlive what was checked by
   * much: a new bundle or an expiring leaf takes effect within this time. (Clients made by
   * {@link #clientEngine} never resume; this bounds other callers of {@link #context}.)
   */
  private static final Duration SESSION_TIMEOUT = Duration.ofMinutes(5);

  private final SSLContext context;
  private final MeshCredentials credentials;

  private TlsContexts(SSLContext context, MeshCredentials credentials) {
    this.context = context;
    this.credentials = credentials;
  }

  /**
   * @param clock the time certificates are checked at (a fixed clock in tests)
   */
  public static TlsContexts create(MeshCredentials credentials, Clock clock) {
    Objects.requireNonNull(credentials, "credentials");
    try {
      SSLContext context = SSLContext.getInstance(TLS13);
      context.init(
          new KeyManager[] {new MeshKeyManager(credentials)},
          new TrustManager[] {new MeshTrustManager(credentials, clock)},
          new SecureRandom());
      int timeout = (int) SESSION_TIMEOUT.toSeconds();
      context.getServerSessionContext().setSessionTimeout(timeout);
      context.getClientSessionContext().setSessionTimeout(timeout);
      return new TlsContexts(context, credentials);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no TLS 1.3", e);
    }
  }

  public static TlsContexts create(MeshCredentials credentials) {
    return create(credentials, Clock.systemUTC());
  }

  /** The context, for APIs that take one (apply {@link #serverParameters} or client ones). */
  public SSLContext context() {
    return context;
  }

  public MeshCredentials credentials() {
    return credentials;
  }

  /** An engine for an inbound connection: TLS 1.3, client certificate required. */
  public SSLEngine serverEngine() {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setSSLParameters(serverParameters());
    return engine;
  }

  /**
   * An engine for an outbound connection to a server that must prove {@code expected}.
   *
   * <p>Made without a peer host on purpose: the JDK then neither caches nor resumes client
   * sessions, so every outbound handshake verifies the server's certificate and identity in
   * full. Mesh connections are pooled and long-lived; resumption would save little.
   *
   * @param expected the server's identity, from discovery
   */
  public SSLEngine clientEngine(IdentityName expected) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(true);
    engine.setSSLParameters(clientParameters(expected));
    return engine;
  }

  /** Server parameters: TLS 1.3 only, client certificate required. */
  public SSLParameters serverParameters() {
    SSLParameters params = context.getDefaultSSLParameters();
    params.setProtocols(new String[] {TLS13});
    params.setNeedClientAuth(true);
    return params;
  }

  /**
   * Client parameters: TLS 1.3 only, SNI = the expected identity (the trust manager checks the
   * server's SAN against it), and no hostname verification, since names come from discovery.
   */
  public SSLParameters clientParameters(IdentityName expected) {
    Objects.requireNonNull(expected, "expected");
    SSLParameters params = context.getDefaultSSLParameters();
    params.setProtocols(new String[] {TLS13});
    params.setServerNames(List.of(new SNIHostName(expected.value())));
    params.setEndpointIdentificationAlgorithm(null);
    return params;
  }
}
