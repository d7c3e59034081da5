package io.trellis.identity;

import io.trellis.identity.ca.Ca;
import io.trellis.identity.ca.CaSettings;
import io.trellis.identity.csr.CsrSigner;
import io.trellis.identity.csr.IssuanceException;
import io.trellis.identity.csr.IssuanceSettings;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.tls.LeafCredentials;
import io.trellis.identity.token.TokenException;
import io.trellis.identity.trust.TrustBundle;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/** Shared test material: settings, identities, CAs and leaves at chosen times. */
public final class Fixtures {

  public static final IdentitySettings SETTINGS = IdentitySettings.defaults();
  public static final CaSettings CA = SETTINGS.ca();
  public static final IssuanceSettings ISSUANCE = SETTINGS.issuance();

  public static final IdentityName WEB = SETTINGS.identityOf("web", "emojivoto");
  public static final IdentityName EMOJI = SETTINGS.identityOf("emoji", "emojivoto");

  /** Real now, truncated to seconds (certificates carry seconds). */
  public static final Instant NOW = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

  private Fixtures() {}

  public static Clock at(Instant instant) {
    return Clock.fixed(instant, ZoneOffset.UTC);
  }

  public static Clock ago(Duration d) {
    return at(NOW.minus(d));
  }

  /** A signer over {@code ca}'s issuer at {@code clock}, whose tokens are identity names. */
  public static CsrSigner signer(Ca ca, Clock clock) {
    return new CsrSigner(ca::issuer, token -> {
      try {
        return IdentityName.parse(token);
      } catch (IdentityNameException e) {
        throw new TokenException(TokenException.Reason.INVALID, "unknown token");
      }
    }, ISSUANCE, clock);
  }

  /** A leaf for {@code identity} issued by {@code ca} at {@code clock}. */
  public static LeafCredentials leaf(Ca ca, IdentityName identity, Clock clock) {
    LeafRequest request = LeafRequest.create(identity);
    try {
      IssuedCertificate issued = signer(ca, clock).certify(request.toCertifyRequest(identity.value()));
      return LeafCredentials.accept(request, issued, ca.bundle(), clock.instant());
    } catch (IssuanceException | CertificateException e) {
      throw new AssertionError(e);
    }
  }

  public static LeafCredentials leaf(Ca ca, IdentityName identity) {
    return leaf(ca, identity, at(NOW));
  }

  /** A CA with a bundle of its own anchor, created now. */
  public static Ca ca() {
    return Ca.create(CA, at(NOW));
  }

  public static TrustBundle bundle(Ca... cas) {
    TrustBundle bundle = cas[0].bundle();
    for (int i = 1; i < cas.length; i++) {
      bundle = bundle.plus(cas[i].anchor().certificate());
    }
    return bundle;
  }
}
