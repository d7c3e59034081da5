package io.trellis.proxy.tls;

/**
 * ALPN names on mesh connections. A proxy carrying opaque TCP (an upstream listener's
 * connection) offers only {@link #OPAQUE}: the peer's inbound then forwards the decrypted bytes to
 * its app without detection, so server-speaks-first protocols never wait for a client byte that
 * will not come. This plays the part of Linkerd's transport header (also signalled by ALPN there).
 */
final class Alpn {
  static final String OPAQUE = "trellis.io/opaque-tcp";
  static final String H2 = "h2";
  static final String HTTP11 = "http/1.1";

  private Alpn() {}
}
