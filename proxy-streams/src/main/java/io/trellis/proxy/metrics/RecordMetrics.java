package io.trellis.proxy.metrics;

import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.GrpcStatus;
import io.trellis.proxy.http.HttpService;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;

/**
 * Records Linkerd's HTTP metrics around the rest of the path, so responses the proxy answers itself
 * (502, 504) count too. {@code request_total} and {@code response_latency_ms} are recorded when the
 * response headers arrive (Linkerd's latency is time to first response byte); {@code
 * response_total} when the response body ends, because only then is a gRPC status known (from the
 * trailers). The body is watched by a pass-through stream stage fused into the entity's own stream;
 * it does not buffer or delay it.
 */
public final class RecordMetrics implements HttpService {
  private final HttpService next;
  private final HttpMetrics metrics;

  private RecordMetrics(HttpService next, HttpMetrics metrics) {
    this.next = next;
    this.metrics = metrics;
  }

  public static HttpService.Layer with(HttpMetrics metrics) {
    return next -> new RecordMetrics(next, metrics);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    return next.serve(request, exchange).thenApply(response -> observe(exchange, response));
  }

  private HttpResponse observe(Exchange exchange, HttpResponse response) {
    long millis = (System.nanoTime() - exchange.startNanos()) / 1_000_000L;
    HttpMetrics.Route route = metrics.route(exchange);
    int status = response.status().intValue();
    route.request();
    route.latency(status, millis);

    ResponseEnd end = new ResponseEnd(route, status, exchange.grpc(), GrpcStatus.in(response.getHeaders()));
    ResponseEntity entity = response.entity();
    if (entity.isKnownEmpty() || entity instanceof HttpEntity.Strict) {
      end.ended(null);
      return response;
    }
    return response.withEntity(WatchEnd.entity(entity, end));
  }

  /** What {@code response_total} needs to know when a response body ends. */
  static final class ResponseEnd implements WatchEnd.Listener {
    private final HttpMetrics.Route route;
    private final int status;
    private final boolean grpc;
    private String grpcStatus;

    ResponseEnd(HttpMetrics.Route route, int status, boolean grpc, String grpcStatus) {
      this.route = route;
      this.status = status;
      this.grpc = grpc;
      this.grpcStatus = grpcStatus;
    }

    @Override
    public void element(Object element) {
      if (element instanceof HttpEntity.ChunkStreamPart part && part.isLastChunk()) {
        String trailer = GrpcStatus.in(part.getTrailerHeaders());
        if (trailer != null) {
          grpcStatus = trailer;
        }
      }
    }

    @Override
    public void ended(Throwable failure) {
      boolean failed = failure != null || status >= 500 || (grpc && !"0".equals(grpcStatus));
      route.response(status, failed, grpc ? (grpcStatus == null ? "" : grpcStatus) : null);
    }
  }
}
