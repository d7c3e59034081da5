package io.trellis.proxy.http1;

import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Malformed;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * One downstream HTTP/1.1 connection relayed to one upstream connection, every message decoded
 * and re-encoded both ways ({@link Http1Decoder}, {@link Http1Encoder}), fused into one graph: no
 * actor message or materialization per request. Keep-alive and pipelining follow the client; the
 * upstream connection is reused for the connection's sequential requests.
 *
 * <p>Not yet a proxy path (no routing, balancing, metrics or error answers for upstream failures):
 * the codec's cost reference on the event-loop transport (bench {@code Http1LoopSplice}) and the
 * building block of the fused data plane. A malformed request ends the request side (the upstream
 * connection's output is shut); after the responses to the requests before it, the client gets
 * the status ({@code 400}, {@code 431}, ...) with {@code Connection: close}.
 */
public final class Http1Relay {
  private Http1Relay() {}

  /**
   * @param upstream the connection to the next hop (e.g. {@code LoopTransport.connect}), joined
   *     once per materialization
   */
  public static Flow<ByteString, ByteString, NotUsed> flow(
      Flow<ByteString, ByteString, ?> upstream, HeadParser.Limits limits) {
    return Flow.<ByteString>create()
        .via(
            Flow.fromMaterializer(
                (mat, attributes) -> {
                  Queue<String> methods = new ArrayDeque<>();
                  Malformed[] malformed = new Malformed[1];
                  return Flow.<ByteString>create()
                      .via(Http1Decoder.requests(limits))
                      .takeWhile(
                          p -> {
                            if (p instanceof Malformed m) {
                              malformed[0] = m;
                              return false;
                            }
                            if (p instanceof Head h) {
                              methods.add(h.method());
                            }
                            return true;
                          })
                      .via(new Http1Encoder())
                      .via(upstream)
                      .via(Http1Decoder.responses(methods, limits))
                      .via(new Http1Encoder())
                      .concatLazy(
                          Source.lazySource(
                              () ->
                                  malformed[0] == null
                                      ? Source.<ByteString>empty()
                                      : Source.single(answer(malformed[0]))));
                })
            .mapMaterializedValue(f -> NotUsed.getInstance()));
  }

  /** The answer to a malformed request: its status, a one-line text body, Connection: close. */
  public static ByteString answer(Malformed m) {
    return text(m.status(), m.reason(), false, false);
  }

  /**
   * A response the proxy writes itself: {@code status}, {@code message} as a one-line text body
   * and, when {@code proxyError}, also in an {@code l5d-proxy-error} header (as Linkerd sends
   * it); {@code Connection: close} unless {@code keepOpen}.
   */
  public static ByteString text(int status, String message, boolean proxyError, boolean keepOpen) {
    String body = message + "\n";
    String reason =
        switch (status) {
          case 431 -> "Request Header Fields Too Large";
          case 501 -> "Not Implemented";
          case 502 -> "Bad Gateway";
          case 503 -> "Service Unavailable";
          case 504 -> "Gateway Timeout";
          case 505 -> "HTTP Version Not Supported";
          default -> "Bad Request";
        };
    return ByteString.fromString(
        "HTTP/1.1 "
            + status
            + " "
            + reason
            + (proxyError
                ? "\r\nl5d-proxy-error: " + message.replace('\r', ' ').replace('\n', ' ')
                : "")
            + "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: "
            + body.getBytes(StandardCharsets.UTF_8).length
            + (keepOpen ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
            + body,
        StandardCharsets.UTF_8);
  }
}
