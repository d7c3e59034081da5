package io.trellis.proxy.fault;

import io.trellis.config.Fault;
import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.profile.ProfileRoute;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import scala.concurrent.ExecutionContext;

/**
 * Fault injection on the request's route ({@link ProfileRoute#fault()}): a share of requests is
 * delayed, then a share is aborted with the route's status (gRPC: HTTP 200 with a trailers-only
 * status) without reaching any endpoint. Placed under the route timeout, so a delay counts against
 * it: when the timeout answers first, the delayed request is never sent; and above the route
 * metrics' recording, so aborts are counted as the responses (failures) the caller saw. Never
 * retried: it sits above the retries.
 *
 * <p>A delay is a timer on the actor system's scheduler (virtual time in tests), never a blocked
 * thread.
 */
public final class InjectFaults implements HttpService {
  private final HttpService next;
  private final Scheduler scheduler;
  private final ExecutionContext dispatcher;
  private final Materializer materializer;
  private final DoubleSupplier percent;

  InjectFaults(HttpService next, ActorSystem<?> system, DoubleSupplier percent) {
    this.next = next;
    this.scheduler = system.classicSystem().scheduler();
    this.dispatcher = system.executionContext();
    this.materializer = Materializer.matFromSystem(system);
    this.percent = percent;
  }

  /** Rolls the dice with the calling thread's random: a uniform draw in [0, 100). */
  public static HttpService.Layer on(ActorSystem<?> system) {
    return on(system, () -> ThreadLocalRandom.current().nextDouble(100));
  }

  /** As {@link #on(ActorSystem)} with the draws {@code percent} gives (tests). */
  public static HttpService.Layer on(ActorSystem<?> system, DoubleSupplier percent) {
    return next -> new InjectFaults(next, system, percent);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    ProfileRoute route = exchange.route();
    Fault fault = route == null ? null : route.fault();
    if (fault == null) {
      return next.serve(request, exchange);
    }
    if (fault.delay() != null && percent.getAsDouble() < fault.delay().percent()) {
      CompletableFuture<HttpResponse> delayed = new CompletableFuture<>();
      scheduler.scheduleOnce(
          scala.concurrent.duration.Duration.fromNanos(fault.delay().duration().toNanos()),
          () -> {
            if (exchange.expired()) {
              // The route timeout answered already: the request is never sent.
              request.discardEntityBytes(materializer);
              delayed.cancel(false);
              return;
            }
            abortOrForward(fault, route, request, exchange)
                .whenComplete((r, failure) -> {
                  if (failure != null) {
                    delayed.completeExceptionally(failure);
                  } else {
                    delayed.complete(r);
                  }
                });
          },
          dispatcher);
      return delayed;
    }
    return abortOrForward(fault, route, request, exchange);
  }

  private CompletionStage<HttpResponse> abortOrForward(
      Fault fault, ProfileRoute route, HttpRequest request, Exchange exchange) {
    Fault.Abort abort = fault.abort();
    if (abort != null && percent.getAsDouble() < abort.percent()) {
      request.discardEntityBytes(materializer);
      String message =
          "service " + route.dst() + " route " + route.name() + ": fault injected (abort "
              + (exchange.grpc() ? "grpc-status " + abort.grpcStatus() : abort.status()) + ")";
      return CompletableFuture.completedFuture(
          Rescue.answer(abort.status(), abort.grpcStatus(), message, exchange));
    }
    try {
      return next.serve(request, exchange);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
