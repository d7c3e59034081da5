package io.trellis.proxy.metrics;

import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.profile.ProfileRoute;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Records {@code route_request_total}, {@code route_response_latency_ms} (at the response headers)
 * and {@code route_response_total} (when the body ends, classified by the route's response
 * classes) for requests on a ServiceProfile route: once per request, whatever retries happen
 * below. A failure raised below (a route timeout, a refused connection) is answered here as
 * {@link Rescue} answers it, so the route counts the status its caller sees.
 */
public final class RecordRouteMetrics implements HttpService {
  private final HttpService next;
  private final RouteMetrics metrics;

  private RecordRouteMetrics(HttpService next, RouteMetrics metrics) {
    this.next = next;
    this.metrics = metrics;
  }

  public static HttpService.Layer with(RouteMetrics metrics) {
    return next -> new RecordRouteMetrics(next, metrics);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    ProfileRoute route = exchange.route();
    if (route == null) {
      return next.serve(request, exchange);
    }
    CompletionStage<HttpResponse> response;
    try {
      response = next.serve(request, exchange);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response
        .exceptionally(failure -> Rescue.respond(failure, exchange))
        .thenApply(r -> observe(route, exchange, r));
  }

  private HttpResponse observe(ProfileRoute route, Exchange exchange, HttpResponse response) {
    long millis = (System.nanoTime() - exchange.startNanos()) / 1_000_000L;
    RouteMetrics.Route instruments = metrics.route(exchange.direction(), route);
    instruments.request(response.status().intValue(), millis);
    return instruments.response(response, route, exchange.grpc(), false);
  }
}
