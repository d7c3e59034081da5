package io.trellis.identity.trust;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.WEB;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.tls.LeafCredentials;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rotations without an outage: old and new leaves verify side by side. */
class RotationTest {

  private final Ca ca = Fixtures.ca();

  @Test
  void issuerRotationKeepsOldLeavesValid() throws Exception {
    LeafCredentials old = Fixtures.leaf(ca, WEB);
    Ca rotated = ca.rotateIssuer(CA, at(NOW.plusSeconds(60)));
    LeafCredentials fresh = Fixtures.leaf(rotated, WEB, at(NOW.plusSeconds(60)));
    Instant later = NOW.plus(Duration.ofHours(1));
    // Proxies keep the same bundle: both chains end at the one anchor.
    TrustBundle bundle = ca.bundle();
    assertEquals(old.leaf(), bundle.verify(old.chain(), later));
    assertEquals(fresh.leaf(), bundle.verify(fresh.chain(), later));
    assertEquals(List.of(ca.anchor().certificate()), rotated.bundle().anchors());
  }

  @Test
  void anchorRotationWithAnOverlapBundle() throws Exception {
    LeafCredentials old = Fixtures.leaf(ca, WEB);
    Ca next = ca.rotateAnchor(CA, at(NOW));
    LeafCredentials fresh = Fixtures.leaf(next, WEB);

    // Step 1: every proxy gets the overlap bundle while still using leaves from the old chain.
    TrustBundle overlap = Ca.overlapBundle(ca, next);
    assertEquals(2, overlap.anchors().size());
    overlap.verify(old.chain(), NOW);
    // Step 2: the new issuer signs; both kinds of leaves are accepted by everyone.
    overlap.verify(fresh.chain(), NOW);
    // Before the overlap bundle, the new chain would have been refused.
    assertEquals(ChainVerificationException.Reason.UNTRUSTED,
        assertThrows(ChainVerificationException.class, () -> ca.bundle().verify(fresh.chain(), NOW)).reason());
    // Step 3: once old leaves have expired, drop the old anchor.
    TrustBundle finalBundle = overlap.minus(ca.anchor().certificate());
    assertEquals(next.bundle().anchors(), finalBundle.anchors());
    finalBundle.verify(fresh.chain(), NOW);
    var e = assertThrows(ChainVerificationException.class, () -> finalBundle.verify(old.chain(), NOW));
    assertEquals(ChainVerificationException.Reason.UNTRUSTED, e.reason());
    assertTrue(e.getMessage().contains("not signed by any trust anchor"), e.getMessage());
  }

  @Test
  void expiredAndNotYetValidLeaves() {
    LeafCredentials leaf = Fixtures.leaf(ca, WEB);
    var expired = assertThrows(ChainVerificationException.class,
        () -> ca.bundle().verify(leaf.chain(), NOW.plus(Duration.ofHours(25))));
    assertEquals(ChainVerificationException.Reason.EXPIRED, expired.reason());
    assertTrue(expired.getMessage().contains(WEB.value()), expired.getMessage());
    var early = assertThrows(ChainVerificationException.class,
        () -> ca.bundle().verify(leaf.chain(), NOW.minusSeconds(60)));
    assertEquals(ChainVerificationException.Reason.NOT_YET_VALID, early.reason());
  }

  @Test
  void aLeafWithoutItsIssuerDoesNotVerify() {
    LeafCredentials leaf = Fixtures.leaf(ca, WEB);
    var e = assertThrows(ChainVerificationException.class,
        () -> ca.bundle().verify(List.of(leaf.leaf()), NOW));
    assertEquals(ChainVerificationException.Reason.UNTRUSTED, e.reason());
  }

  @Test
  void aChainEndingWithTheAnchorIsAccepted() throws Exception {
    LeafCredentials leaf = Fixtures.leaf(ca, WEB);
    ca.bundle().verify(List.of(leaf.leaf(), ca.issuer().certificate(), ca.anchor().certificate()), NOW);
  }

  @Test
  void aLeafCannotSignLeaves() throws Exception {
    // A stolen leaf key used as an issuer: the leaf is no CA, and the issuer's pathLen is 0.
    LeafCredentials leaf = Fixtures.leaf(ca, WEB);
    Ca rogue = new Ca(ca.anchor(), new io.trellis.identity.ca.Issuer(leaf.leaf(), leaf.key()));
    var signed = Fixtures.signer(rogue, at(NOW))
        .certify(io.trellis.identity.csr.LeafRequest.create(WEB).toCertifyRequest(WEB.value()));
    var chain = List.of(signed.leaf(), leaf.leaf(), ca.issuer().certificate());
    var e = assertThrows(ChainVerificationException.class, () -> ca.bundle().verify(chain, NOW));
    assertEquals(ChainVerificationException.Reason.INVALID, e.reason());
  }

  @Test
  void bundlesRoundTripThroughPem() throws Exception {
    TrustBundle overlap = Ca.overlapBundle(ca, ca.rotateAnchor(CA, at(NOW)));
    var file = java.nio.file.Files.createTempFile("bundle", ".crt");
    try {
      java.nio.file.Files.writeString(file, overlap.toPem());
      assertEquals(overlap.anchors(), TrustBundle.read(file).anchors());
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
