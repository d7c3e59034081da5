package io.trellis.identity.tls;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.WEB;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.trust.TrustBundle;
import org.junit.jupiter.api.Test;

/** Rotations seen from the wire: proxies holding leaves of different chains keep talking. */
class RotationHandshakeTest {

  private final Ca ca = Fixtures.ca();

  @Test
  void proxiesWithLeavesFromTheOldAndTheNewIssuerTalk() {
    Ca rotated = ca.rotateIssuer(CA, at(NOW));
    TlsContexts server = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, EMOJI));
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(rotated, WEB));
    var outcome = EngineHandshake.run(client.clientEngine(EMOJI), server.serverEngine());
    assertTrue(outcome.succeeded(), () -> String.valueOf(outcome.error()));
  }

  @Test
  void anchorRotationStepByStep() {
    Ca next = ca.rotateAnchor(CA, at(NOW));
    TrustBundle overlap = Ca.overlapBundle(ca, next);
    MeshCredentials server = new MeshCredentials(ca.bundle());
    server.update(Fixtures.leaf(ca, EMOJI));
    MeshCredentials client = new MeshCredentials(ca.bundle());
    client.update(Fixtures.leaf(ca, WEB));
    TlsContexts serverTls = TlsContexts.create(server);
    TlsContexts clientTls = TlsContexts.create(client);

    // Step 1: everyone gets the overlap bundle; leaves are still from the old chain.
    server.updateBundle(overlap);
    client.updateBundle(overlap);
    assertHandshake(clientTls, serverTls);

    // Step 2: the new issuer signs; the client renews first, the server still has an old leaf.
    client.update(Fixtures.leaf(next, WEB));
    assertHandshake(clientTls, serverTls);
    server.update(Fixtures.leaf(next, EMOJI));
    assertHandshake(clientTls, serverTls);

    // Step 3: the old anchor is dropped; new leaves still verify.
    server.updateBundle(next.bundle());
    client.updateBundle(next.bundle());
    assertHandshake(clientTls, serverTls);

    // A straggler with an old leaf is now refused.
    TlsContexts straggler = MutualTlsTest.contexts(overlap, Fixtures.leaf(ca, WEB));
    var refused = EngineHandshake.run(straggler.clientEngine(EMOJI), serverTls.serverEngine());
    assertNotNull(refused.serverError());
    assertTrue(MutualTlsTest.chain(refused.serverError()).contains("(UNTRUSTED)"),
        MutualTlsTest.chain(refused.serverError()));
  }

  @Test
  void droppingTheOldAnchorTooEarlyBreaksOldLeaves() {
    // What step 2's wait prevents: a new-bundle server and a client that has not renewed yet.
    Ca next = ca.rotateAnchor(CA, at(NOW));
    TlsContexts server = MutualTlsTest.contexts(next.bundle(), Fixtures.leaf(next, EMOJI));
    TlsContexts oldClient = MutualTlsTest.contexts(Ca.overlapBundle(ca, next), Fixtures.leaf(ca, WEB));
    var outcome = EngineHandshake.run(oldClient.clientEngine(EMOJI), server.serverEngine());
    assertNotNull(outcome.serverError());
  }

  private static void assertHandshake(TlsContexts client, TlsContexts server) {
    var outcome = EngineHandshake.run(client.clientEngine(EMOJI), server.serverEngine());
    assertTrue(outcome.succeeded(), () -> String.valueOf(outcome.error()));
  }
}
