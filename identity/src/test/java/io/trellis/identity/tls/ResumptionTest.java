package io.trellis.identity.tls;

import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.WEB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import java.security.KeyStore;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.X509ExtendedTrustManager;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * A resumed TLS session skips certificate checks. Even against a server that hands out session
 * tickets (here a plain JDK server, not a Trellis one), a Trellis client never resumes, so it
 * cannot be talked into a session with an identity it did not verify for this connection.
 */
class ResumptionTest {

  private final Ca ca = Fixtures.ca();

  @Test
  void aClientNeverResumesIntoAnotherExpectedIdentity() throws Exception {
    SSLContext ticketingServer = plainJdk(Fixtures.leaf(ca, EMOJI));
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, WEB));

    var first = EngineHandshake.run(client.clientEngine(EMOJI), serverEngine(ticketingServer));
    assertTrue(first.succeeded(), () -> String.valueOf(first.error()));

    var second = EngineHandshake.run(client.clientEngine(WEB), serverEngine(ticketingServer));
    assertNotNull(second.clientError(), "resumed a session into an unverified identity");
    assertTrue(MutualTlsTest.chain(second.clientError()).contains("expected " + WEB),
        MutualTlsTest.chain(second.clientError()));
  }

  @Test
  void aClientKeepsNoTicketsFromATicketingServer() throws Exception {
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, WEB));
    SSLContext ticketingServer = plainJdk(Fixtures.leaf(ca, EMOJI));
    // A socket has a peer host, so the JDK would cache a ticket for it; ours discards them.
    try (var listener = ticketingServer.getServerSocketFactory().createServerSocket(0, 5,
        java.net.InetAddress.getLoopbackAddress())) {
      ((javax.net.ssl.SSLServerSocket) listener).setNeedClientAuth(true);
      var address = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), listener.getLocalPort());
      var executor = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        var served = executor.submit(() -> {
          for (int i = 0; i < 2; i++) {
            try (var s = (javax.net.ssl.SSLSocket) listener.accept()) {
              s.setSoTimeout(10_000);
              s.getOutputStream().write('x');
              s.getOutputStream().flush();
              s.getInputStream().read();
            } catch (java.io.IOException e) {
              // the second client refuses the server: expected
            }
          }
          return null;
        });
        try (var socket = client.connect(EMOJI, address, java.time.Duration.ofSeconds(10))) {
          socket.getInputStream().read(); // the ticket arrives with the first data
          socket.getOutputStream().write('y');
        }
        assertThrows(javax.net.ssl.SSLException.class,
            () -> client.connect(WEB, address, java.time.Duration.ofSeconds(10)).close());
        served.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        executor.shutdownNow();
      }
    }
  }

  @Test
  void aServerNeverResumes() throws Exception {
    // Control: a plain JDK client resumes with a plain JDK server (its trust manager is asked once).
    CountingTrust controlTrust = new CountingTrust();
    SSLContext controlClient = plainJdk(Fixtures.leaf(ca, WEB), controlTrust);
    SSLContext plainServer = plainJdk(Fixtures.leaf(ca, EMOJI));
    for (int i = 0; i < 2; i++) {
      var outcome = EngineHandshake.run(plainClientEngine(controlClient), serverEngine(plainServer));
      assertTrue(outcome.succeeded(), () -> String.valueOf(outcome.error()));
    }
    assertEquals(1, controlTrust.serverChecks.get(), "the control should resume");

    // A Trellis server: every connection is a full handshake.
    TlsContexts server = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, EMOJI));
    CountingTrust trust = new CountingTrust();
    SSLContext client = plainJdk(Fixtures.leaf(ca, WEB), trust);
    for (int i = 0; i < 2; i++) {
      var outcome = EngineHandshake.run(plainClientEngine(client), server.serverEngine());
      assertTrue(outcome.succeeded(), () -> String.valueOf(outcome.error()));
    }
    assertEquals(2, trust.serverChecks.get(), "a Trellis server must not resume sessions");
  }

  private static SSLEngine plainClientEngine(SSLContext context) {
    SSLEngine engine = context.createSSLEngine("10.0.0.12", 4143);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setProtocols(new String[] {"TLSv1.3"});
    params.setServerNames(List.of(new SNIHostName(EMOJI.value())));
    engine.setSSLParameters(params);
    return engine;
  }

  private static SSLEngine serverEngine(SSLContext context) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    engine.setEnabledProtocols(new String[] {"TLSv1.3"});
    return engine;
  }

  private SSLContext plainJdk(LeafCredentials leaf) throws Exception {
    return plainJdk(leaf, null);
  }

  /** A JDK context with the JDK's own key and trust managers (PKIX against the anchor). */
  private SSLContext plainJdk(LeafCredentials leaf, CountingTrust counting) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("leaf", leaf.key(), new char[0], leaf.chain().toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, new char[0]);
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("anchor", ca.anchor().certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    var trust = tmf.getTrustManagers();
    if (counting != null) {
      counting.delegate = (X509ExtendedTrustManager) trust[0];
      trust = new javax.net.ssl.TrustManager[] {counting};
    }
    context.init(kmf.getKeyManagers(), trust, null);
    return context;
  }

  /** Counts full verifications of the server: a resumed handshake skips them. */
  static final class CountingTrust extends X509ExtendedTrustManager {
    final AtomicInteger serverChecks = new AtomicInteger();
    X509ExtendedTrustManager delegate;

    @Override
    public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
      delegate.checkClientTrusted(c, a, s);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
      serverChecks.incrementAndGet();
      delegate.checkServerTrusted(c, a, s);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
      delegate.checkClientTrusted(c, a, e);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
      serverChecks.incrementAndGet();
      delegate.checkServerTrusted(c, a, e);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException {
      delegate.checkClientTrusted(c, a);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException {
      serverChecks.incrementAndGet();
      delegate.checkServerTrusted(c, a);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
