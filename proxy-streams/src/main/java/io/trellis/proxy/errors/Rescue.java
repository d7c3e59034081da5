package io.trellis.proxy.errors;

import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.util.ByteString;

/**
 * The one place where failures become responses (as linkerd2-proxy's {@code errors::respond}).
 * Every stage below fails with a {@link ProxyError} that says what failed and why; this stage picks
 * the status:
 *
 * <pre>
 *   kind             HTTP  gRPC (HTTP 200, trailers-only)
 *   NO_AUTHORITY     400   INTERNAL (13)
 *   LOOP             502   UNAVAILABLE (14)
 *   NO_ENDPOINTS     504   DEADLINE_EXCEEDED (4)
 *   LOAD_SHED        503   UNAVAILABLE (14)
 *   CONNECT_REFUSED  502   UNAVAILABLE (14)
 *   CONNECT_TIMEOUT  504   DEADLINE_EXCEEDED (4)
 *   ENDPOINT_IO      502   UNAVAILABLE (14)
 *   ROUTE_TIMEOUT    504   DEADLINE_EXCEEDED (4)
 *   anything else    502   UNAVAILABLE (14)   (a bug: no stage should throw it)
 * </pre>
 *
 * HTTP callers get a short text body with the message ("endpoint 127.0.0.12:4143: connection
 * refused"), also in an {@code l5d-proxy-error} header as Linkerd sends it. gRPC callers
 * (content-type application/grpc) get the gRPC status in a trailers-only response, which is what
 * gRPC clients read.
 */
public final class Rescue implements HttpService {
  private static final ContentType TEXT = ContentTypes.TEXT_PLAIN_UTF8;
  private static final ContentType GRPC = ContentTypes.parse("application/grpc");

  private final HttpService next;

  private Rescue(HttpService next) {
    this.next = next;
  }

  public static HttpService.Layer errors() {
    return Rescue::new;
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    CompletionStage<HttpResponse> response;
    try {
      response = next.serve(request, exchange);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.exceptionally(failure -> respond(failure, exchange));
  }

  /** The response that answers {@code failure} (also for stages that must count it first). */
  public static HttpResponse respond(Throwable failure, Exchange exchange) {
    Throwable cause = failure;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    ProxyError error = cause instanceof ProxyError e ? e : null;
    String message = error != null ? error.getMessage() : "proxy error: " + cause;
    ProxyError.Kind kind = error != null ? error.kind() : null;
    return exchange.grpc() ? grpc(kind, message) : http(status(kind), message);
  }

  /**
   * A response the proxy answers on purpose (fault injection): {@code status} to HTTP callers,
   * HTTP 200 with {@code grpcStatus} trailers-only to gRPC callers, the message as with errors.
   */
  public static HttpResponse answer(int status, int grpcStatus, String message, Exchange exchange) {
    return exchange.grpc()
        ? grpc(grpcStatus, message)
        : http(StatusCodes.get(status), message);
  }

  static StatusCode status(ProxyError.Kind kind) {
    if (kind == null) {
      return StatusCodes.BAD_GATEWAY;
    }
    return switch (kind) {
      case NO_AUTHORITY -> StatusCodes.BAD_REQUEST;
      case NO_ENDPOINTS, CONNECT_TIMEOUT, ROUTE_TIMEOUT -> StatusCodes.GATEWAY_TIMEOUT;
      case LOAD_SHED -> StatusCodes.SERVICE_UNAVAILABLE;
      case LOOP, CONNECT_REFUSED, ENDPOINT_IO -> StatusCodes.BAD_GATEWAY;
    };
  }

  static int grpcStatus(ProxyError.Kind kind) {
    if (kind == null) {
      return 14;
    }
    return switch (kind) {
      case NO_AUTHORITY -> 13;
      case NO_ENDPOINTS, CONNECT_TIMEOUT, ROUTE_TIMEOUT -> 4;
      case LOOP, LOAD_SHED, CONNECT_REFUSED, ENDPOINT_IO -> 14;
    };
  }

  private static HttpResponse http(StatusCode status, String message) {
    return HttpResponse.create()
        .withStatus(status)
        .addHeader(RawHeader.create("l5d-proxy-error", message))
        .withEntity(HttpEntities.create(TEXT, ByteString.fromString(message + "\n")));
  }

  private static HttpResponse grpc(ProxyError.Kind kind, String message) {
    return grpc(grpcStatus(kind), message);
  }

  private static HttpResponse grpc(int grpcStatus, String message) {
    List<HttpHeader> headers =
        List.of(
            RawHeader.create("grpc-status", Integer.toString(grpcStatus)),
            RawHeader.create("grpc-message", percentEncode(message)),
            RawHeader.create("l5d-proxy-error", message));
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withHeaders(headers)
        .withEntity(HttpEntities.create(GRPC, ByteString.emptyByteString()));
  }

  /** grpc-message is percent-encoded (gRPC over HTTP/2 spec): keep printable ASCII but '%'. */
  static String percentEncode(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      if (b >= 0x20 && b <= 0x7e && b != '%') {
        out.append((char) b);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
