package io.trellis.proxy.detect;

import org.apache.pekko.util.ByteString;

/**
 * What a connection's first bytes say it is, as linkerd2-proxy's detection tells it: a TLS
 * ClientHello, the HTTP/2 preface, an HTTP/1.x request line, or anything else (opaque TCP).
 */
public enum Detected {
  TLS,
  HTTP2,
  HTTP1,
  OPAQUE;

  /** A TLS record header: handshake (22), then major version 3 (SSL 3.0 .. TLS 1.3 all say 3). */
  private static final int TLS_HANDSHAKE = 0x16;

  private static final int TLS_MAJOR = 0x03;

  /** Longest method token an HTTP/1 request line may start with here (RFC 9110 names are short). */
  private static final int MAX_METHOD = 24;

  /**
   * Whether {@code head} settles the question, so that detection never waits longer than needed:
   * a TLS record header, the whole preface or a byte that rules it out, an HTTP/1 request line up
   * to its end, or a byte no request line can have.
   */
  public static boolean decisive(ByteString head) {
    if (head.isEmpty()) {
      return false;
    }
    if ((head.apply(0) & 0xff) == TLS_HANDSHAKE) {
      return head.size() >= 2;
    }
    if (!Preface.decisive(head)) {
      return false;
    }
    if (Preface.isHttp2(head)) {
      return true;
    }
    int space = methodEnd(head);
    if (space == -2) {
      return true; // not a method token: opaque
    }
    if (space == -1) {
      return false; // the method may still be arriving
    }
    return head.indexOf((byte) '\n', space) >= 0;
  }

  /**
   * Classifies a head that is {@link #decisive}, or the bytes there were when detection stopped
   * waiting (timeout, size bound, end of stream). An HTTP/1 request line whose end is beyond the
   * bound is still HTTP/1: its server answers it (414).
   */
  public static Detected of(ByteString head) {
    if (head.size() >= 2
        && (head.apply(0) & 0xff) == TLS_HANDSHAKE
        && (head.apply(1) & 0xff) == TLS_MAJOR) {
      return TLS;
    }
    if (Preface.isHttp2(head)) {
      return HTTP2;
    }
    int space = methodEnd(head);
    if (space < 0) {
      return OPAQUE;
    }
    int newline = head.indexOf((byte) '\n', space);
    if (newline < 0) {
      return HTTP1;
    }
    String line = head.slice(0, newline).utf8String().stripTrailing();
    return line.startsWith("HTTP/1.", line.lastIndexOf(' ') + 1) ? HTTP1 : OPAQUE;
  }

  /**
   * The index of the space after the request line's method, -1 when the head ends inside a valid
   * method, -2 when it cannot be a method (an empty one, a byte outside tchar, or too long).
   */
  private static int methodEnd(ByteString head) {
    int n = Math.min(head.size(), MAX_METHOD + 1);
    for (int i = 0; i < n; i++) {
      int b = head.apply(i) & 0xff;
      if (b == ' ') {
        return i == 0 ? -2 : i;
      }
      if (!tchar(b)) {
        return -2;
      }
    }
    return head.size() > MAX_METHOD ? -2 : -1;
  }

  /** RFC 9110 token characters. */
  private static boolean tchar(int b) {
    return (b >= 'A' && b <= 'Z')
        || (b >= 'a' && b <= 'z')
        || (b >= '0' && b <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }
}
