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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
  private static final ByteString CRLF = ByteString.fromString("\r\n");
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

  public static ByteString chunk(ByteString data) {
    if (data.isEmpty()) {
      return data; // an empty chunk would end the body
    }
    return ByteString.fromString(Integer.toHexString(data.size()) + "\r\n")
        .concat(data)
        .concat(CRLF);
  }

  public static ByteString lastChunk(List<Header> trailers) {
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
