package io.trellis.proxy.metrics;

import io.trellis.proxy.http.Direction;
import kamon.tag.TagSet;

/**
 * A connection's {@code tls} labels, as Linkerd writes them: {@code tls="true"} with the peer's
 * identity ({@code client_id} inbound, {@code server_id} outbound), or {@code tls="no_identity"}
 * with {@code no_tls_reason}, or {@code tls="disabled"} when the proxy has no identity at all.
 *
 * @param peerId the verified peer identity when {@code tls}, else null
 * @param noTlsReason why the connection is plaintext, when it is and the proxy has an identity
 */
public record TlsLabels(boolean tls, String peerId, String noTlsReason) {

  /**
   * The proxy runs without an identity (no credentials): nothing is encrypted. Written {@code
   * tls="disabled"}, as the HTTP metrics have always said for such a proxy.
   */
  public static final TlsLabels DISABLED = new TlsLabels(false, null, null);

  /** Inbound plaintext: the client sent no ClientHello. */
  public static final TlsLabels NOT_PROVIDED_BY_REMOTE = noIdentity("not_provided_by_remote");

  /** Outbound plaintext: discovery announced no identity for the endpoint. */
  public static final TlsLabels NOT_PROVIDED_BY_DISCOVERY =
      noIdentity("not_provided_by_service_discovery");

  public static TlsLabels secured(String peerId) {
    return new TlsLabels(true, peerId, null);
  }

  /** Plaintext although the proxy has an identity, e.g. "not_provided_by_remote". */
  public static TlsLabels noIdentity(String reason) {
    return new TlsLabels(false, null, reason);
  }

  /** The {@code tls} label's value: "true", "no_identity" or "disabled" (also tap's field). */
  public String value() {
    return tls ? "true" : noTlsReason != null ? "no_identity" : "disabled";
  }

  void addTo(TagSet.Builder b, Direction direction) {
    if (tls) {
      b.add("tls", "true").add(direction == Direction.INBOUND ? "client_id" : "server_id", peerId);
    } else if (noTlsReason != null) {
      b.add("tls", "no_identity").add("no_tls_reason", noTlsReason);
    } else {
      b.add("tls", "disabled");
    }
  }
}
