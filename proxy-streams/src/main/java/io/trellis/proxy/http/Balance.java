package io.trellis.proxy.http;

import io.trellis.config.ServiceRef;
import io.trellis.proxy.balance.Destination;
import io.trellis.proxy.balance.Destinations;
import io.trellis.proxy.balance.EndpointHandle;
import io.trellis.proxy.errors.ProxyError;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Picks an endpoint of the request's backend service ({@link Exchange#backend()}: a split's choice,
 * else the service; power of two choices over Peak-EWMA, owned by the balance package) and reports
 * the outcome back to it. A service with no endpoints is waited for up to the fail-fast timeout;
 * then the request fails with {@link ProxyError.Kind#NO_ENDPOINTS}.
 * Requests already routed to a fixed endpoint (egress, inbound) pass through.
 *
 * <p>Endpoints are never cached here: each request reads the destination's current snapshot, so
 * mesh edits apply to the next request while requests in flight keep their connection.
 */
public final class Balance implements HttpService {
  private final HttpService next;
  private final Destinations destinations;
  private final Duration failFast;

  private Balance(HttpService next, Destinations destinations, Duration failFast) {
    this.next = next;
    this.destinations = destinations;
    this.failFast = failFast;
  }

  public static HttpService.Layer over(Destinations destinations, Duration failFast) {
    return next -> new Balance(next, destinations, failFast);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    ServiceRef service = exchange.backend();
    if (service == null) {
      return next.serve(request, exchange);
    }
    Destination destination = destinations.destination(service);
    EndpointHandle endpoint = destination.pick();
    if (endpoint != null) {
      return dispatch(endpoint, request, exchange);
    }
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    destination
        .whenNonEmpty(failFast)
        .whenComplete(
            (set, timeout) -> {
              // The set may have emptied again between publication and this pick.
              EndpointHandle late = timeout == null ? destination.pick() : null;
              if (late == null) {
                response.completeExceptionally(ProxyError.noEndpoints(service, failFast));
                return;
              }
              dispatch(late, request, exchange)
                  .whenComplete(
                      (r, failure) -> {
                        if (failure != null) {
                          response.completeExceptionally(failure);
                        } else {
                          response.complete(r);
                        }
                      });
            });
    return response;
  }

  private CompletionStage<HttpResponse> dispatch(
      EndpointHandle endpoint, HttpRequest request, Exchange exchange) {
    exchange.endpoint(endpoint.endpoint());
    EndpointHandle.Dispatch dispatch = endpoint.dispatch(System.nanoTime());
    CompletionStage<HttpResponse> response;
    try {
      response = next.serve(request, exchange);
    } catch (RuntimeException e) {
      dispatch.complete(System.nanoTime(), true);
      throw e;
    }
    return response.whenComplete(
        (r, failure) ->
            dispatch.complete(System.nanoTime(), failure != null || r.status().intValue() >= 500));
  }
}
