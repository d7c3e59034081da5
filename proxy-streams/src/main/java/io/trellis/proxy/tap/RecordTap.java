package io.trellis.proxy.tap;

import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.GrpcStatus;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.metrics.WatchEnd;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.util.ByteString;

/**
 * Appends each request's {@code req}, {@code rsp} and {@code end} events to the proxy's {@link
 * EventRing}: around the rest of the path, so responses the proxy answers itself (502, 504) are
 * tapped too. {@code req} is appended with the response headers, when the destination is known
 * (balancing picks it), stamped with the request's arrival time; {@code end} when the response body
 * ends, with its length and the gRPC status from the trailers. Bodies are counted, never kept. The
 * path only appends (one atomic increment and a store per event); it never waits for a reader.
 */
public final class RecordTap implements HttpService {
  private final HttpService next;
  private final EventRing ring;
  private final Function<Exchange, TlsLabels> tls;

  private RecordTap(HttpService next, EventRing ring, Function<Exchange, TlsLabels> tls) {
    this.next = next;
    this.ring = ring;
    this.tls = tls;
  }

  /** Without identity: every request is {@code tls=disabled}. */
  public static HttpService.Layer into(EventRing ring) {
    return into(ring, exchange -> TlsLabels.DISABLED);
  }

  /** @param tls an exchange's tls labels, as the HTTP metrics have them (the peer's identity) */
  public static HttpService.Layer into(EventRing ring, Function<Exchange, TlsLabels> tls) {
    return next -> new RecordTap(next, ring, tls);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    long arrived = System.currentTimeMillis();
    return next.serve(request, exchange)
        .handle(
            (response, failure) -> {
              TapRecord req = request(request, exchange, arrived);
              ring.append(req);
              if (failure != null) {
                ring.append(TapRecord.end(req, 0, 0, null, 0, reason(failure), now()));
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
              }
              return observe(exchange, req, response);
            });
  }

  private TapRecord request(HttpRequest request, Exchange exchange, long arrived) {
    Object dst =
        exchange.endpoint() != null ? exchange.endpoint().address() : exchange.authority();
    return TapRecord.req(
        ring.nextRequestId(),
        exchange.direction(),
        request.getAttribute(AttributeKeys.remoteAddress).orElse(null),
        dst,
        tls.apply(exchange),
        request.method().value(),
        exchange.authority(),
        request.getUri().path(),
        request.getUri().scheme(),
        arrived);
  }

  private HttpResponse observe(Exchange exchange, TapRecord req, HttpResponse response) {
    long headers = System.nanoTime();
    int status = response.status().intValue();
    String grpcStatus = GrpcStatus.in(response.getHeaders());
    ring.append(TapRecord.rsp(req, status, headers - exchange.startNanos(), grpcStatus, now()));

    End end = new End(ring, req, status, headers, grpcStatus);
    ResponseEntity entity = response.entity();
    if (entity.isKnownEmpty()) {
      end.ended(null);
      return response;
    }
    if (entity instanceof HttpEntity.Strict strict) {
      end.bytes = strict.getData().length();
      end.ended(null);
      return response;
    }
    return response.withEntity(WatchEnd.entity(entity, end));
  }

  /** Counts the body's bytes and appends {@code end} when it ends. */
  private static final class End implements WatchEnd.Listener {
    private final EventRing ring;
    private final TapRecord req;
    private final int status;
    private final long headersNanos;
    private String grpcStatus;
    long bytes;

    End(EventRing ring, TapRecord req, int status, long headersNanos, String grpcStatus) {
      this.ring = ring;
      this.req = req;
      this.status = status;
      this.headersNanos = headersNanos;
      this.grpcStatus = grpcStatus;
    }

    @Override
    public void element(Object element) {
      if (element instanceof ByteString bytes) {
        this.bytes += bytes.length();
      } else if (element instanceof HttpEntity.ChunkStreamPart part) {
        this.bytes += part.data().length();
        if (part.isLastChunk()) {
          String trailer = GrpcStatus.in(part.getTrailerHeaders());
          if (trailer != null) {
            grpcStatus = trailer;
          }
        }
      }
    }

    @Override
    public void ended(Throwable failure) {
      // A consumer that stops reading after the last part is not a failure.
      String error =
          failure == null || failure instanceof SubscriptionWithCancelException.NonFailureCancellation
              ? null
              : reason(failure);
      ring.append(
          TapRecord.end(req, status, System.nanoTime() - headersNanos, grpcStatus, bytes, error, now()));
    }
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  static String reason(Throwable failure) {
    String message = failure.getMessage();
    return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
