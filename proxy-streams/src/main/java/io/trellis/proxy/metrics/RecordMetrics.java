package io.trellis.proxy.metrics;

import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.GrpcStatus;
import io.trellis.proxy.http.HttpService;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Records Linkerd's HTTP metrics around the rest of the path, so responses the proxy answers itself
 * (502, 504) count too. {@code request_total} and {@code response_latency_ms} are recorded when the
 * response headers arrive (Linkerd's latency is time to first response byte); {@code
 * response_total} when the response body ends, because only then is a gRPC status known (from the
 * trailers). The body is watched by {@link ResponseEnds}; it does not buffer or delay it.
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
    boolean grpc = exchange.grpc();
    return ResponseEnds.watch(
        response,
        (grpcStatus, failure) ->
            route.response(
                status,
                failure != null || status >= 500 || (grpc && !"0".equals(grpcStatus)),
                grpc ? (grpcStatus == null ? "" : grpcStatus) : null));
  }
}
