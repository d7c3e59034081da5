package io.trellis.identity.tls;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.WEB;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/**
 * mTLS between two proxies' engines: emoji's proxy serves, web's proxy connects expecting
 * emoji. One scenario per test: the good case, then each way a handshake must fail.
 */
class MutualTlsTest {

  private static final Clock CLOCK = Clock.systemUTC();

  private final Ca ca = Fixtures.ca();
  private final TlsContexts server = contexts(ca.bundle(), Fixtures.leaf(ca, EMOJI));
  private final TlsContexts client = contexts(ca.bundle(), Fixtures.leaf(ca, WEB));

  @Test
  void mutualTls13WithBothIdentitiesVerified() {
    SSLEngine c = client.clientEngine(EMOJI);
    SSLEngine s = server.serverEngine();
    var outcome = EngineHandshake.run(c, s);
    assertTrue(outcome.succeeded(), () -> String.valueOf(outcome.error()));
    assertEquals("ping", outcome.serverReceived());
    assertEquals("pong", outcome.clientReceived());
    assertEquals("TLSv1.3", c.getSession().getProtocol());
    assertEquals("TLSv1.3", s.getSession().getProtocol());
    assertEquals(Optional.of(WEB), PeerIdentity.of(s.getSession()), "server sees the client's identity");
    assertEquals(Optional.of(EMOJI), PeerIdentity.of(c.getSession()), "client sees the server's identity");
  }

  @Test
  void wrongServerIdentityIsRejectedByTheClient() {
    // Discovery said the endpoint is web, but emoji answered.
    var outcome = EngineHandshake.run(client.clientEngine(WEB), server.serverEngine());
    assertNotNull(outcome.clientError());
    assertTrue(chain(outcome.clientError()).contains("the server is " + EMOJI + ", expected " + WEB),
        chain(outcome.clientError()));
  }

  @Test
  void expiredClientCertificateIsRejected() {
    Ca old = Ca.create(CA, at(NOW.minus(Duration.ofDays(3))));
    TlsContexts server = contexts(old.bundle(), Fixtures.leaf(old, EMOJI));
    TlsContexts expired = contexts(old.bundle(), Fixtures.leaf(old, WEB, at(NOW.minus(Duration.ofDays(2)))));
    var outcome = EngineHandshake.run(expired.clientEngine(EMOJI), server.serverEngine());
    assertNotNull(outcome.serverError(), () -> "client error: " + outcome.clientError());
    assertTrue(chain(outcome.serverError()).contains("(EXPIRED)"), chain(outcome.serverError()));
  }

  @Test
  void clientFromAnUntrustedCaIsRejected() {
    Ca other = Fixtures.ca();
    TlsContexts stranger = contexts(ca.bundle(), Fixtures.leaf(other, WEB));
    var outcome = EngineHandshake.run(stranger.clientEngine(EMOJI), server.serverEngine());
    assertNotNull(outcome.serverError());
    assertTrue(chain(outcome.serverError()).contains("(UNTRUSTED)"), chain(outcome.serverError()));
  }

  @Test
  void serverFromAnUntrustedCaIsRejected() {
    Ca other = Fixtures.ca();
    TlsContexts impostor = contexts(other.bundle(), Fixtures.leaf(other, EMOJI));
    var outcome = EngineHandshake.run(client.clientEngine(EMOJI), impostor.serverEngine());
    assertNotNull(outcome.clientError());
    assertTrue(chain(outcome.clientError()).contains("(UNTRUSTED)"), chain(outcome.clientError()));
  }

  @Test
  void tls12OnlyClientIsRejected() {
    SSLEngine c = client.clientEngine(EMOJI);
    SSLParameters params = c.getSSLParameters();
    params.setProtocols(new String[] {"TLSv1.2"});
    c.setSSLParameters(params);
    var outcome = EngineHandshake.run(c, server.serverEngine());
    assertFalse(outcome.succeeded());
    assertTrue(chain(outcome.error()).toLowerCase().contains("protocol"), chain(outcome.error()));
  }

  @Test
  void clientWithoutCertificateIsRejected() {
    // A proxy whose first certificate has not arrived yet presents none.
    TlsContexts anonymous = TlsContexts.create(new MeshCredentials(ca.bundle()), CLOCK);
    var outcome = EngineHandshake.run(anonymous.clientEngine(EMOJI), server.serverEngine());
    assertNotNull(outcome.serverError());
    assertTrue(chain(outcome.serverError()).contains("Empty client certificate chain")
        || chain(outcome.serverError()).contains("presented no certificate"), chain(outcome.serverError()));
  }

  @Test
  void serverWithoutCertificateRefusesInboundTls() {
    MeshCredentials notReady = new MeshCredentials(ca.bundle());
    assertFalse(notReady.isReady());
    var outcome = EngineHandshake.run(client.clientEngine(EMOJI), TlsContexts.create(notReady, CLOCK).serverEngine());
    assertFalse(outcome.succeeded());
  }

  @Test
  void clientEnginesWithoutAnExpectedIdentityAreRefused() {
    // Someone making a client from the server context, without an expected identity.
    SSLEngine raw = client.serverContext().createSSLEngine();
    raw.setUseClientMode(true);
    var outcome = EngineHandshake.run(raw, server.serverEngine());
    assertNotNull(outcome.clientError());
    assertTrue(chain(outcome.clientError()).contains("no expected server identity"), chain(outcome.clientError()));
  }

  @Test
  void onlyTls13IsOffered() {
    assertEquals(java.util.List.of("TLSv1.3"), java.util.List.of(server.serverEngine().getEnabledProtocols()));
    assertEquals(java.util.List.of("TLSv1.3"), java.util.List.of(client.clientEngine(EMOJI).getEnabledProtocols()));
    assertTrue(server.serverEngine().getNeedClientAuth());
  }

  static TlsContexts contexts(io.trellis.identity.trust.TrustBundle bundle, LeafCredentials leaf) {
    MeshCredentials credentials = new MeshCredentials(bundle);
    credentials.update(leaf);
    return TlsContexts.create(credentials, CLOCK);
  }

  static String chain(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c).append(" <- ");
    }
    return all.toString();
  }
}
