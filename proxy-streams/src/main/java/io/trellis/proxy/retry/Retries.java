package io.trellis.proxy.retry;

import io.trellis.config.ServiceRef;
import io.trellis.proxy.errors.ProxyError;
import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.metrics.ResponseEnds;
import io.trellis.proxy.metrics.RouteMetrics;
import io.trellis.proxy.profile.ProfileRoute;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Retries requests on retryable ServiceProfile routes, as Linkerd does on the client side: an
 * attempt is retried when its response is classified a failure by the route (from the response
 * headers: the status, or a trailers-only gRPC status) or it failed to reach the endpoint ({@link
 * ProxyError#connectionError()}), when the body could be kept for replay ({@link ReplayBody}, at
 * most {@code maxBody} bytes), when the route timeout has not passed, and when the service's {@link
 * RetryBudget} allows it. Each attempt goes down to the balancer, which picks an endpoint afresh.
 * The body of a failed attempt's response is drained (bounded), so its connection is reused.
 *
 * <p>Every attempt counts in {@code route_actual_request_total} / {@code
 * route_actual_response_total}; a retry the budget refused in {@code route_retryable_total}.
 * Retries happen immediately (no backoff), as in Linkerd; the budget and the route timeout bound
 * them.
 */
public final class Retries implements HttpService {
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(1);

  private final HttpService next;
  private final RouteMetrics metrics;
  private final Materializer materializer;
  private final LongSupplier clock;
  private final int maxBody;
  private final ConcurrentHashMap<ServiceRef, RetryBudget> budgets = new ConcurrentHashMap<>();

  private Retries(
      HttpService next, RouteMetrics metrics, Materializer materializer, LongSupplier clock,
      int maxBody) {
    this.next = next;
    this.metrics = metrics;
    this.materializer = materializer;
    this.clock = clock;
    this.maxBody = maxBody;
  }

  /**
   * @param clock nanoseconds for the budgets' windows ({@code System::nanoTime})
   * @param maxBody the largest request body kept for replay (64 KiB in Linkerd)
   */
  public static HttpService.Layer budgeted(
      RouteMetrics metrics, Materializer materializer, LongSupplier clock, int maxBody) {
    return next -> new Retries(next, metrics, materializer, clock, maxBody);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    ProfileRoute route = exchange.route();
    if (route == null) {
      return next.serve(request, exchange);
    }
    RouteMetrics.Route instruments = metrics.route(exchange.direction(), route);
    if (!route.retryable()) {
      return attempt(new Attempts(route, instruments, null, null), request, exchange);
    }
    RetryBudget budget = budgetOf(route);
    budget.deposit();
    ReplayBody body = ReplayBody.of(request.entity(), maxBody);
    return attempt(
        new Attempts(route, instruments, budget, body), request.withEntity(body.first()), exchange);
  }

  /** What the attempts of one request share. */
  private record Attempts(
      ProfileRoute route, RouteMetrics.Route instruments, RetryBudget budget, ReplayBody body) {}

  private CompletionStage<HttpResponse> attempt(
      Attempts attempts, HttpRequest request, Exchange exchange) {
    attempts.instruments().actualRequest();
    CompletionStage<HttpResponse> response;
    try {
      response = next.serve(request, exchange);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response
        .handle((r, failure) -> next(attempts, request, exchange, r, unwrap(failure)))
        .thenCompose(f -> f);
  }

  private CompletionStage<HttpResponse> next(
      Attempts attempts, HttpRequest request, Exchange exchange, HttpResponse response,
      Throwable failure) {
    ProfileRoute route = attempts.route();
    boolean grpc = exchange.grpc();
    boolean retry =
        attempts.budget() != null
            && !exchange.expired()
            && (failure != null
                ? failure instanceof ProxyError e && e.connectionError()
                : failedByHeaders(route, response, grpc));
    Optional<RequestEntity> replay = retry ? attempts.body().replay() : Optional.empty();
    if (replay.isPresent() && !attempts.budget().tryWithdraw()) {
      attempts.instruments().skippedNoBudget();
      replay = Optional.empty();
    }
    if (replay.isEmpty()) {
      // This attempt's outcome is the caller's.
      if (failure != null) {
        attempts.instruments().discarded(Rescue.respond(failure, exchange), route, grpc);
        return CompletableFuture.failedFuture(failure);
      }
      return CompletableFuture.completedFuture(
          attempts.instruments().response(response, route, grpc, true));
    }
    if (response != null) {
      attempts.instruments().discarded(response, route, grpc);
      drain(response);
    } else {
      attempts.instruments().discarded(Rescue.respond(failure, exchange), route, grpc);
    }
    return attempt(attempts, request.withEntity(replay.get()), exchange);
  }

  /**
   * Whether the response headers already classify the attempt as failed. A gRPC status usually
   * comes in the trailers, after the body has started towards the caller: only a trailers-only
   * answer (grpc-status in the headers) can be retried, as in Linkerd; a gRPC response without one
   * is judged on its HTTP status alone.
   */
  private static boolean failedByHeaders(ProfileRoute route, HttpResponse response, boolean grpc) {
    int status = response.status().intValue();
    String grpcStatus = ResponseEnds.grpcStatusHeader(response);
    return grpc && grpcStatus == null
        ? route.failure(status, false, null)
        : route.failure(status, grpc, grpcStatus);
  }

  /**
   * Reads a failed attempt's body to its end so that its connection is reused, unless it is longer
   * than {@code maxBody} or takes longer than {@link #DRAIN_TIMEOUT}: then it is cancelled (which
   * closes an HTTP/1.1 connection, resets an HTTP/2 stream) rather than left hanging.
   */
  private void drain(HttpResponse response) {
    if (response.entity().isKnownEmpty() || response.entity() instanceof HttpEntity.Strict) {
      return;
    }
    response
        .entity()
        .getDataBytes()
        .limitWeighted(maxBody, b -> (long) b.size())
        .completionTimeout(DRAIN_TIMEOUT)
        .runWith(Sink.ignore(), materializer);
  }

  private RetryBudget budgetOf(ProfileRoute route) {
    RetryBudget b = budgets.get(route.service());
    if (b != null && b.spec().equals(route.budget())) {
      return b;
    }
    // New service, or its profile's budget changed: start a new window.
    return budgets.compute(
        route.service(),
        (s, old) -> old != null && old.spec().equals(route.budget())
            ? old
            : new RetryBudget(route.budget(), clock));
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
