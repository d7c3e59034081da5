package io.trellis.proxy.balance;

import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.Scheduler;
import scala.concurrent.ExecutionContextExecutor;

/**
 * A service's destination: the snapshot its {@link ServiceEndpointsActor} last published and a
 * picker over it. Everything the request path calls is lock-free and never messages an actor.
 */
final class PublishedDestination implements Destination {

  private final ServiceRef service;
  private final EndpointPicker picker;
  private final LongSupplier clock;
  private final Scheduler scheduler;
  private final ExecutionContextExecutor executor;
  private final int maxWaiters;
  private final AtomicReference<EndpointSet> current = new AtomicReference<>(EndpointSet.EMPTY);
  private final Set<CompletableFuture<EndpointSet>> waiters = ConcurrentHashMap.newKeySet();
  private final AtomicInteger waiting = new AtomicInteger();
  private final CompletableFuture<Void> published = new CompletableFuture<>();

  PublishedDestination(
      ServiceRef service,
      EndpointPicker picker,
      LongSupplier clock,
      Scheduler scheduler,
      ExecutionContextExecutor executor,
      int maxWaiters) {
    this.service = service;
    this.picker = picker;
    this.clock = clock;
    this.scheduler = scheduler;
    this.executor = executor;
    this.maxWaiters = maxWaiters;
  }

  @Override
  public ServiceRef service() {
    return service;
  }

  @Override
  public EndpointSet current() {
    return current.get();
  }

  @Override
  public EndpointHandle pick() {
    return picker.pick(current.get(), clock.getAsLong());
  }

  @Override
  public CompletionStage<EndpointSet> whenNonEmpty(Duration failFast) {
    EndpointSet now = current.get();
    if (!now.isEmpty()) {
      return CompletableFuture.completedFuture(now);
    }
    if (waiting.incrementAndGet() > maxWaiters) {
      waiting.decrementAndGet();
      return CompletableFuture.failedFuture(
          new TimeoutException(
              "no endpoints for " + service.authority() + " and " + maxWaiters
                  + " requests already waiting for one"));
    }
    CompletableFuture<EndpointSet> waiter = new CompletableFuture<>();
    waiters.add(waiter);
    Cancellable timer =
        scheduler.scheduleOnce(
            failFast,
            () -> {
              // Counted out before the caller hears of it (a dependent such as a blocked get()
              // can run before the whenComplete below)
              if (waiters.remove(waiter)) {
                waiting.decrementAndGet();
              }
              waiter.completeExceptionally(
                  new TimeoutException(
                      "no endpoints for " + service.authority() + " within " + failFast));
            },
            executor);
    waiter.whenComplete(
        (set, error) -> {
          timer.cancel();
          if (waiters.remove(waiter)) {
            waiting.decrementAndGet();
          }
        });
    // A publish may have run between the first read and the registration.
    EndpointSet again = current.get();
    if (!again.isEmpty()) {
      waiter.complete(again);
    }
    return waiter;
  }

  @Override
  public CompletionStage<Void> whenPublished() {
    return published;
  }

  /** Number of requests waiting for a first endpoint (for tests and metrics). */
  int waiting() {
    return waiting.get();
  }

  /**
   * Publishes a new snapshot. Called only by the owning actor. Waiters are completed on the
   * dispatcher, not on the actor's thread, so their continuations never run inside the actor.
   */
  void publish(EndpointSet set) {
    current.set(set);
    if (!published.isDone()) {
      executor.execute(() -> published.complete(null));
    }
    if (!set.isEmpty() && !waiters.isEmpty()) {
      for (CompletableFuture<EndpointSet> waiter : waiters) {
        executor.execute(() -> waiter.complete(set));
      }
    }
  }

  @Override
  public String toString() {
    return "destination " + service.authority() + " " + current.get().endpoints().size()
        + " endpoints";
  }
}
