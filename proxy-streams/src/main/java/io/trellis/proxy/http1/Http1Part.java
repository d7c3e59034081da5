package io.trellis.proxy.http1;

import java.util.List;
import java.util.Locale;
import org.apache.pekko.util.ByteString;

/**
 * What {@link Http1Decoder} emits for each message: one {@link Head}, then {@link Data} elements
 * (none for a message without a body), then {@link End}. A {@link Malformed} element ends the
 * stream: the peer broke a rule, the connection must be answered (status) and closed.
 */
public sealed interface Http1Part {

  /** One header as it arrived (name case kept; value with surrounding whitespace removed). */
  record Header(String name, String value) {
    public boolean is(String lowercaseName) {
      return name.equalsIgnoreCase(lowercaseName);
    }
  }

  /** How a message's body is delimited on the wire. */
  sealed interface Framing {}

  /** No body (no Content-Length/Transfer-Encoding on a request; 1xx/204/304 responses). */
  record Empty() implements Framing {}

  /** Exactly {@code length} bytes. */
  record Length(long length) implements Framing {}

  /** Transfer-Encoding: chunked. */
  record Chunked() implements Framing {}

  /** A response body delimited by the connection's end. */
  record UntilClose() implements Framing {}

  /**
   * A request head ({@code status} 0) or a response head ({@code method}/{@code target} null).
   *
   * @param version 0 for HTTP/1.0, 1 for HTTP/1.1
   * @param headers in arrival order, framing headers (Content-Length, Transfer-Encoding) included
   * @param keepAlive whether the connection may carry another message after this one
   */
  record Head(
      String method,
      String target,
      int status,
      String reason,
      int version,
      List<Header> headers,
      Framing framing,
      boolean keepAlive)
      implements Http1Part {

    public boolean isRequest() {
      return method != null;
    }

    /** The first value of a header, or null. */
    public String header(String lowercaseName) {
      for (int i = 0, n = headers.size(); i < n; i++) { // indexed: no Iterator per head
        Header h = headers.get(i);
        if (h.is(lowercaseName)) {
          return h.value();
        }
      }
      return null;
    }

    /** The Host header's host without its port, lower case, or null. */
    public String host() {
      String host = header("host");
      if (host == null) {
        return null;
      }
      int colon = host.lastIndexOf(':');
      String name = colon > 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host;
      return name.toLowerCase(Locale.ROOT);
    }
  }

  /** A piece of a body (a slice of what was read; never copied). */
  record Data(ByteString bytes) implements Http1Part {}

  /** The end of a message; the trailers of a chunked body (else empty). */
  record End(List<Header> trailers) implements Http1Part {}

  /** The input broke a rule: answer {@code status} (400, 431, 501) and close. */
  record Malformed(int status, String reason) implements Http1Part {}
}
