package io.trellis.identity.ca;

import io.trellis.identity.trust.TrustBundle;
import java.time.Clock;
import java.util.Objects;

/**
 * A trust anchor and the issuer it signed: everything the identity service needs to sign
 * leaves. Immutable; a rotation returns a new {@code Ca}.
 *
 * <p>Issuer rotation ({@link #rotateIssuer}) keeps the anchor, so every leaf signed by the old
 * issuer stays valid until it expires; anchor rotation ({@link #rotateAnchor}) needs an overlap
 * bundle with both anchors while leaves from the old chain are still around (see
 * docs/identity.md).
 */
public record Ca(TrustAnchor anchor, Issuer issuer) {

  public Ca {
    Objects.requireNonNull(anchor, "anchor");
    Objects.requireNonNull(issuer, "issuer");
  }

  /** A new anchor and an issuer it signed. */
  public static Ca create(CaSettings settings, Clock clock) {
    TrustAnchor anchor = TrustAnchor.create(settings, clock);
    return new Ca(anchor, anchor.issue(settings, clock));
  }

  /**
   * A new issuer signed by the same anchor. Proxies need no new trust bundle: old and new
   * leaves both chain to the anchor they already trust.
   *
   * @throws IllegalStateException when the anchor's key is not available
   */
  public Ca rotateIssuer(CaSettings settings, Clock clock) {
    return new Ca(anchor, anchor.issue(settings, clock));
  }

  /**
   * A new anchor with a new issuer. Publish {@link #overlapBundle} of the old and new CA to
   * every proxy before any leaf from the new issuer is used, and drop the old anchor only after
   * the last old leaf has expired.
   */
  public Ca rotateAnchor(CaSettings settings, Clock clock) {
    return create(settings, clock);
  }

  /** The bundle that trusts only this CA's anchor. */
  public TrustBundle bundle() {
    return TrustBundle.of(anchor.certificate());
  }

  /** The bundle for an anchor rotation: both anchors, old first. */
  public static TrustBundle overlapBundle(Ca previous, Ca next) {
    return TrustBundle.of(previous.anchor().certificate(), next.anchor().certificate());
  }
}
