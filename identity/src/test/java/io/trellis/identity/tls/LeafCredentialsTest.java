package io.trellis.identity.tls;

import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.WEB;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.x509.EcKeys;
import java.security.cert.CertificateException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The proxy checks what the CA returns before installing it. */
class LeafCredentialsTest {

  private final Ca ca = Fixtures.ca();

  @Test
  void acceptsTheCertificateForItsOwnKeyAndIdentity() throws Exception {
    LeafRequest request = LeafRequest.create(WEB);
    IssuedCertificate issued = Fixtures.signer(ca, at(NOW)).certify(request.toCertifyRequest(WEB.value()));
    LeafCredentials leaf = LeafCredentials.accept(request, issued, ca.bundle(), NOW);
    assertEquals(WEB, leaf.identity());
    assertEquals(request.keys().getPrivate(), leaf.key());
    assertEquals(issued.chain(), leaf.chain());
    assertFalse(leaf.toString().contains("PRIVATE"));
  }

  @Test
  void refusesACertificateForAnotherKey() throws Exception {
    LeafRequest mine = LeafRequest.create(WEB);
    IssuedCertificate someoneElses = Fixtures.signer(ca, at(NOW)).certify(LeafRequest.create(WEB).toCertifyRequest(WEB.value()));
    var e = assertThrows(CertificateException.class, () -> LeafCredentials.accept(mine, someoneElses, ca.bundle(), NOW));
    assertTrue(e.getMessage().contains("not for this proxy's key"), e.getMessage());
  }

  @Test
  void refusesACertificateThatDoesNotChainToTheBundle() throws Exception {
    LeafRequest request = LeafRequest.create(WEB);
    IssuedCertificate issued = Fixtures.signer(ca, at(NOW)).certify(request.toCertifyRequest(WEB.value()));
    var e = assertThrows(CertificateException.class,
        () -> LeafCredentials.accept(request, issued, Fixtures.ca().bundle(), NOW));
    assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
  }

  @Test
  void keyAndChainFromFilesMustMatch() throws Exception {
    LeafCredentials leaf = Fixtures.leaf(ca, EMOJI);
    assertEquals(EMOJI, LeafCredentials.of(leaf.key(), leaf.chain()).identity());
    assertThrows(CertificateException.class, () -> LeafCredentials.of(EcKeys.generate().getPrivate(), leaf.chain()));
    assertThrows(CertificateException.class, () -> LeafCredentials.of(leaf.key(), List.of()));
  }

  @Test
  void aCaCertificateHasNoIdentity() {
    var e = assertThrows(CertificateException.class, () -> LeafCredentials.identityOf(ca.issuer().certificate()));
    assertTrue(e.getMessage().contains("exactly one DNS SAN"), e.getMessage());
  }

  @Test
  void readinessFollowsTheFirstCertificate() {
    MeshCredentials credentials = new MeshCredentials(ca.bundle());
    assertFalse(credentials.isReady());
    assertTrue(credentials.current().isEmpty());
    credentials.update(Fixtures.leaf(ca, WEB));
    assertTrue(credentials.isReady());
    assertEquals(WEB, credentials.current().orElseThrow().identity());
  }
}
