package io.trellis.proxy.timeout;

import io.trellis.proxy.errors.ProxyError;
import io.trellis.proxy.http.Entities;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.profile.ProfileRoute;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Sink;
import scala.concurrent.ExecutionContext;

/**
 * Bounds a request on a ServiceProfile route by the route's timeout (default 10 s), retries
 * included: placed above the retries, its one timer covers every attempt. When the timer fires
 * first, the request fails with {@link ProxyError.Kind#ROUTE_TIMEOUT} (504; gRPC
 * DEADLINE_EXCEEDED), the exchange is marked expired so that no further attempt starts, a request
 * body still streaming to the endpoint is aborted (which resets that upstream call), and a response
 * that arrives later has its body cancelled rather than left holding a connection. Routes without
 * a timeout ({@code [DEFAULT]}) and requests for no route pass through.
 *
 * <p>The timer runs on the actor system's scheduler, so tests drive it on virtual time
 * (ManualTime).
 */
public final class RouteTimeout implements HttpService {
  private final HttpService next;
  private final Scheduler scheduler;
  private final ExecutionContext dispatcher;
  private final Materializer materializer;

  private RouteTimeout(HttpService next, ActorSystem<?> system) {
    this.next = next;
    this.scheduler = system.classicSystem().scheduler();
    this.dispatcher = system.executionContext();
    this.materializer = Materializer.matFromSystem(system);
  }

  public static HttpService.Layer bound(ActorSystem<?> system) {
    return next -> new RouteTimeout(next, system);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    ProfileRoute route = exchange.route();
    if (route == null || route.timeout() == null) {
      return next.serve(request, exchange);
    }
    SharedKillSwitch abort = KillSwitches.shared("route-timeout");
    HttpRequest sent = request.withEntity(Entities.through(request.entity(), abort.flow()));
    CompletableFuture<HttpResponse> result = new CompletableFuture<>();
    Cancellable timer =
        scheduler.scheduleOnce(
            scala.concurrent.duration.Duration.fromNanos(route.timeout().toNanos()),
            () -> {
              ProxyError timedOut = ProxyError.routeTimeout(route.dst(), route.name(), route.timeout());
              if (result.completeExceptionally(timedOut)) {
                exchange.expire();
                abort.abort(timedOut);
              }
            },
            dispatcher);
    CompletionStage<HttpResponse> response;
    try {
      response = next.serve(sent, exchange);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    response.whenComplete(
        (r, failure) -> {
          timer.cancel();
          boolean answered = failure == null ? result.complete(r) : result.completeExceptionally(failure);
          if (!answered && r != null) {
            // Too late: the caller has its 504. Cancel the body so the connection is freed.
            r.entity().getDataBytes().runWith(Sink.cancelled(), materializer);
          }
        });
    return result;
  }
}
