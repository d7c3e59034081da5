package io.trellis.proxy.http1;

import io.trellis.proxy.http1.Http1Part.Empty;
import io.trellis.proxy.http1.Http1Part.Framing;
import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Header;
import io.trellis.proxy.http1.Http1Part.Length;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.util.ByteString;

/**
 * The encoding functions of {@link Http1Encoder} of sessions 1-2 (StringBuilder, split,
 * toLowerCase), unchanged: the oracle {@link Http1CodecEquivalenceTest} checks the array-writing
 * encoder against.
 */
final class ReferenceHttp1Encoder {
  private static final ByteString CRLF = ByteString.fromString("\r\n");
  private static final ByteString LAST_CHUNK = ByteString.fromString("0\r\n\r\n");

  private ReferenceHttp1Encoder() {}

  /** The head as HTTP/1.1 with end-to-end headers only and framing headers of its own. */
  static ByteString head(Head head) {
    StringBuilder sb = new StringBuilder(256);
    if (head.isRequest()) {
      sb.append(head.method()).append(' ').append(head.target()).append(" HTTP/1.1\r\n");
    } else {
      sb.append("HTTP/1.1 ").append(head.status()).append(' ').append(head.reason()).append("\r\n");
    }
    List<String> named = connectionNamed(head.headers());
    for (Header h : head.headers()) {
      if (!isHopByHop(h) && !isFraming(h) && !named.contains(h.name().toLowerCase(Locale.ROOT))) {
        sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
      }
    }
    Framing framing = head.framing();
    if (framing instanceof Length l) {
      sb.append("Content-Length: ").append(l.length()).append("\r\n");
    } else if (!(framing instanceof Empty)) {
      sb.append("Transfer-Encoding: chunked\r\n");
    } else if (!head.isRequest() && head.status() >= 200 && head.status() != 204
        && head.status() != 304) {
      sb.append("Content-Length: 0\r\n");
    }
    if (!head.keepAlive()) {
      sb.append("Connection: close\r\n");
    }
    sb.append("\r\n");
    return ByteString.fromString(sb.toString(), StandardCharsets.ISO_8859_1);
  }

  static ByteString chunk(ByteString data) {
    if (data.isEmpty()) {
      return data; // an empty chunk would end the body
    }
    return ByteString.fromString(Integer.toHexString(data.size()) + "\r\n")
        .concat(data)
        .concat(CRLF);
  }

  static ByteString lastChunk(List<Header> trailers) {
    if (trailers.isEmpty()) {
      return LAST_CHUNK;
    }
    StringBuilder sb = new StringBuilder("0\r\n");
    for (Header h : trailers) {
      if (!isHopByHop(h) && !isFraming(h)) {
        sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
      }
    }
    sb.append("\r\n");
    return ByteString.fromString(sb.toString(), StandardCharsets.ISO_8859_1);
  }

  private static List<String> connectionNamed(List<Header> headers) {
    List<String> named = new ArrayList<>(0);
    for (Header h : headers) {
      if (h.is("connection")) {
        for (String token : h.value().split(",")) {
          named.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return named;
  }

  private static boolean isFraming(Header h) {
    return h.is("content-length") || h.is("transfer-encoding");
  }

  /** As {@code io.trellis.proxy.http.HopByHop} (RFC 9110 section 7.6.1). */
  private static boolean isHopByHop(Header h) {
    return switch (h.name().toLowerCase(Locale.ROOT)) {
      case "connection", "keep-alive", "proxy-connection", "upgrade" -> true;
      case "te" -> !h.value().trim().equalsIgnoreCase("trailers");
      default -> false;
    };
  }
}
