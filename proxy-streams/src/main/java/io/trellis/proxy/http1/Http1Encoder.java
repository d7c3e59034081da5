package io.trellis.proxy.http1;

import io.trellis.proxy.http1.Http1Part.Chunked;
import io.trellis.proxy.http1.Http1Part.Data;
import io.trellis.proxy.http1.Http1Part.Empty;
import io.trellis.proxy.http1.Http1Part.End;
import io.trellis.proxy.http1.Http1Part.Framing;
import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Header;
import io.trellis.proxy.http1.Http1Part.Length;
import io.trellis.proxy.http1.Http1Part.Malformed;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * {@link Http1Part}s to HTTP/1.1 bytes, re-encoding every head from its parsed fields (never the
 * bytes that arrived): hop-by-hop headers are dropped (Connection and the headers it names,
 * Keep-Alive, Proxy-Connection, Upgrade, TE unless exactly {@code trailers}) and the framing
 * headers written from the message's framing: Content-Length for a length, Transfer-Encoding
 * chunked for chunked bodies and for bodies delimited by the connection's end (which become
 * chunked). A message that does not keep its connection alive gets {@code Connection: close}.
 * One element out per element in; a {@link Malformed} part is not encodable here (the server
 * answers it).
 */
public final class Http1Encoder extends GraphStage<FlowShape<Http1Part, ByteString>> {
  private static final ByteString LAST_CHUNK = ByteString.fromString("0\r\n\r\n");

  private final Inlet<Http1Part> in = Inlet.create("Http1Encoder.in");
  private final Outlet<ByteString> out = Outlet.create("Http1Encoder.out");
  private final FlowShape<Http1Part, ByteString> shape = FlowShape.of(in, out);

  @Override
  public FlowShape<Http1Part, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private boolean chunked;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                Http1Part part = grab(in);
                ByteString bytes;
                if (part instanceof Head head) {
                  chunked = !(head.framing() instanceof Length || head.framing() instanceof Empty);
                  bytes = head(head);
                } else if (part instanceof Data data) {
                  bytes = chunked ? chunk(data.bytes()) : data.bytes();
                } else if (part instanceof End end) {
                  bytes = chunked ? lastChunk(end.trailers()) : ByteString.emptyByteString();
                } else {
                  throw new IllegalArgumentException("cannot encode " + part);
                }
                if (bytes.isEmpty()) {
                  pull(in);
                } else {
                  push(out, bytes);
                }
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(in);
              }
            });
      }
    };
  }

  /** The head as HTTP/1.1 with end-to-end headers only and framing headers of its own. */
  public static ByteString head(Head head) {
    return head(head, null);
  }

  /**
   * As {@link #head(Head)}, followed in the same array by {@code body} (its first bytes, or all
   * of it): a Content-Length response's head goes out with its body in one element and one
   * write, without a many-part ByteString to join them.
   */
  public static ByteString head(Head head, ByteString body) {
    List<Header> headers = head.headers();
    String[] connection = connectionValues(headers);
    Framing framing = head.framing();
    String framingHeader;
    long lengthValue = -1;
    if (framing instanceof Length l) {
      framingHeader = "Content-Length: ";
      lengthValue = l.length();
    } else if (!(framing instanceof Empty)) {
      framingHeader = "Transfer-Encoding: chunked";
    } else if (!head.isRequest()
        && head.status() >= 200
        && head.status() != 204
        && head.status() != 304) {
      framingHeader = "Content-Length: ";
      lengthValue = 0;
    } else {
      framingHeader = "";
    }
    String status = head.isRequest() ? null : statusCode(head.status());
    // Sized first, then written straight into the one array the ByteString wraps.
    int size;
    if (head.isRequest()) {
      size = head.method().length() + 1 + head.target().length() + HTTP11_CRLF.length();
    } else {
      size = HTTP11_SP.length() + status.length() + 1 + head.reason().length() + 2;
    }
    for (int i = 0, n = headers.size(); i < n; i++) { // indexed: no Iterator per head
      Header h = headers.get(i);
      if (isEndToEnd(h, connection, head.isRequest())) {
        size += h.name().length() + 2 + h.value().length() + 2;
      }
    }
    if (!framingHeader.isEmpty()) {
      size += framingHeader.length() + (lengthValue < 0 ? 0 : digits(lengthValue)) + 2;
    }
    if (!head.keepAlive()) {
      size += CONNECTION_CLOSE.length();
    }
    size += 2;
    int bodySize = body == null ? 0 : body.size();
    byte[] a = new byte[size + bodySize];
    int p;
    if (head.isRequest()) {
      p = put(head.method(), a, 0);
      a[p++] = ' ';
      p = put(head.target(), a, p);
      p = put(HTTP11_CRLF, a, p);
    } else {
      p = put(HTTP11_SP, a, 0);
      p = put(status, a, p);
      a[p++] = ' ';
      p = put(head.reason(), a, p);
      p = crlf(a, p);
    }
    for (int i = 0, n = headers.size(); i < n; i++) { // indexed: no Iterator per head
      Header h = headers.get(i);
      if (isEndToEnd(h, connection, head.isRequest())) {
        p = put(h.name(), a, p);
        a[p++] = ':';
        a[p++] = ' ';
        p = put(h.value(), a, p);
        p = crlf(a, p);
      }
    }
    if (!framingHeader.isEmpty()) {
      p = put(framingHeader, a, p);
      if (lengthValue >= 0) {
        p = putDecimal(lengthValue, a, p);
      }
      p = crlf(a, p);
    }
    if (!head.keepAlive()) {
      p = put(CONNECTION_CLOSE, a, p);
    }
    p = crlf(a, p);
    if (bodySize > 0) {
      body.copyToArray(a, p, bodySize);
    }
    return ByteString.fromArrayUnsafe(a);
  }

  /** Decimal digits of {@code v} (not negative). */
  static int digits(long v) {
    int n = 1;
    while (v >= 10) {
      v /= 10;
      n++;
    }
    return n;
  }

  /** Writes {@code v} (not negative) in decimal at {@code p}; returns the position after it. */
  static int putDecimal(long v, byte[] a, int p) {
    int end = p + digits(v);
    int i = end;
    do {
      a[--i] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v > 0);
    return end;
  }

  /** {@code data} as one chunk (size line, data, CRLF) in one array; empty data stays empty. */
  public static ByteString chunk(ByteString data) {
    if (data.isEmpty()) {
      return data; // an empty chunk would end the body
    }
    String size = Integer.toHexString(data.size());
    byte[] a = new byte[size.length() + 2 + data.size() + 2];
    int p = crlf(a, put(size, a, 0));
    data.copyToArray(a, p, data.size());
    crlf(a, p + data.size());
    return ByteString.fromArrayUnsafe(a);
  }

  public static ByteString lastChunk(List<Header> trailers) {
    if (trailers.isEmpty()) {
      return LAST_CHUNK;
    }
    int size = 3 + 2;
    for (int i = 0, n = trailers.size(); i < n; i++) { // indexed: no Iterator per head
      Header h = trailers.get(i);
      if (!isHopByHop(h, true) && !isFraming(h)) { // as the reference codec: TE: trailers kept
        size += h.name().length() + 2 + h.value().length() + 2;
      }
    }
    byte[] a = new byte[size];
    int p = put("0\r\n", a, 0);
    for (int i = 0, n = trailers.size(); i < n; i++) { // indexed: no Iterator per head
      Header h = trailers.get(i);
      if (!isHopByHop(h, true) && !isFraming(h)) { // as the reference codec: TE: trailers kept
        p = put(h.name(), a, p);
        a[p++] = ':';
        a[p++] = ' ';
        p = put(h.value(), a, p);
        p = crlf(a, p);
      }
    }
    crlf(a, p);
    return ByteString.fromArrayUnsafe(a);
  }

  private static final String HTTP11_CRLF = " HTTP/1.1\r\n";
  private static final String HTTP11_SP = "HTTP/1.1 ";
  private static final String CONNECTION_CLOSE = "Connection: close\r\n";

  private static String statusCode(int status) {
    return status == 200 ? "200" : Integer.toString(status);
  }

  /** Writes {@code s} as ISO-8859-1 (as {@code String.getBytes} would: '?' for other chars). */
  private static int put(String s, byte[] a, int p) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      a[p++] = c <= 0xff ? (byte) c : (byte) '?';
    }
    return p;
  }

  private static int crlf(byte[] a, int p) {
    a[p] = '\r';
    a[p + 1] = '\n';
    return p + 2;
  }

  /** The values of the Connection headers (usually none or one), or null when there is none. */
  private static String[] connectionValues(List<Header> headers) {
    String[] values = null;
    for (int i = 0, n = headers.size(); i < n; i++) { // indexed: no Iterator per head
      Header h = headers.get(i);
      if (h.name().length() == 10 && h.is("connection")) {
        values = values == null ? new String[1] : Arrays.copyOf(values, values.length + 1);
        values[values.length - 1] = h.value();
      }
    }
    return values;
  }

  private static boolean isEndToEnd(Header h, String[] connection, boolean request) {
    return !isHopByHop(h, request) && !isFraming(h) && !named(h.name(), connection);
  }

  /** Whether a Connection header's comma-separated tokens name {@code name} (any case). */
  private static boolean named(String name, String[] connection) {
    if (connection == null) {
      return false;
    }
    for (String value : connection) {
      int e = 0;
      while (true) {
        int comma = value.indexOf(',', e);
        int end = comma < 0 ? value.length() : comma;
        int s = e;
        while (s < end && value.charAt(s) <= ' ') {
          s++;
        }
        int t = end;
        while (t > s && value.charAt(t - 1) <= ' ') {
          t--;
        }
        if (t - s == name.length() && value.regionMatches(true, s, name, 0, name.length())) {
          return true;
        }
        if (comma < 0) {
          break;
        }
        e = comma + 1;
      }
    }
    return false;
  }

  private static boolean isFraming(Header h) {
    int n = h.name().length();
    return n == 14 && h.is("content-length") || n == 17 && h.is("transfer-encoding");
  }

  /**
   * As {@code io.trellis.proxy.http.HopByHop} (RFC 9110 section 7.6.1). TE is a request header:
   * {@code TE: trailers} goes on in a request (gRPC needs it), a response's TE never does.
   */
  private static boolean isHopByHop(Header h, boolean request) {
    return switch (h.name().length()) {
      case 2 -> h.is("te") && !(request && h.value().trim().equalsIgnoreCase("trailers"));
      case 7 -> h.is("upgrade");
      case 10 -> h.is("connection") || h.is("keep-alive");
      case 16 -> h.is("proxy-connection");
      default -> false;
    };
  }
}
