package io.trellis.proxy.balance;

import io.trellis.config.Endpoint;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One endpoint of a service. It creates and owns the endpoint's {@link EndpointHandle} (a
 * Peak-EWMA meter) and its lifecycle: started, it hands the handle to its parent to publish;
 * told to {@link Retire} (after the parent has published a set without it), it waits until the
 * requests already dispatched to it have finished, or at most the drain timeout, and stops.
 *
 * <p>It also owns the endpoint's circuit breaker (failure accrual, as Linkerd): after {@code
 * consecutive-failures} failures in a row it asks its parent to leave it out of the published set
 * ({@link Availability}); after a penalty (from {@code penalty-min}, doubling per failed probe up
 * to {@code penalty-max}, stretched by jitter) it is published again as a probe, and the next
 * outcome decides: a success brings it back for good, a failure takes it out for a longer penalty.
 * A success of a request still in flight while it is out also brings it back.
 *
 * <p>The request path never messages this actor. The meter tells it about transitions only.
 */
public final class EndpointActor extends AbstractBehavior<EndpointActor.Command> {

  public interface Command {}

  /** Stop once the requests in flight have finished. The endpoint is no longer published. */
  public enum Retire implements Command {
    INSTANCE
  }

  /** New failure-accrual settings (mesh.conf edited): they apply from the next transition. */
  public record Reconfigure(BalanceSettings settings) implements Command {}

  /** What an endpoint tells its parent. */
  public sealed interface Report permits Started, Availability {}

  /** Reply to the parent once started: publish {@code handle}. */
  public record Started(Endpoint endpoint, EndpointHandle handle, ActorRef<Command> endpointActor)
      implements Report {}

  /** Publish the endpoint ({@code available}) or leave it out of the balancer (circuit open). */
  public record Availability(Endpoint endpoint, ActorRef<Command> endpointActor, boolean available)
      implements Report {}

  // Signals from the meter, on transitions only (see ActorSignals).
  private record Drained() implements Command {}

  private record FailingChanged(boolean failing) implements Command {}

  private enum DrainTimedOut implements Command {
    INSTANCE
  }

  private enum PenaltyOver implements Command {
    INSTANCE
  }

  /** Turns the meter's transitions into messages; it also names the handle's owner (tests). */
  record ActorSignals(ActorRef<Command> actor) implements MeteredEndpoint.Signals {
    @Override
    public void failingChanged(boolean failing) {
      actor.tell(new FailingChanged(failing));
    }

    @Override
    public void drained() {
      actor.tell(new Drained());
    }
  }

  public static Behavior<Command> create(
      Endpoint endpoint, BalanceSettings settings, LongSupplier clock, ActorRef<Report> parent) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new EndpointActor(context, timers, endpoint, settings, clock, parent)));
  }

  /** The breaker's states. */
  private enum Circuit {
    CLOSED,
    OPEN,
    PROBING
  }

  private final TimerScheduler<Command> timers;
  private BalanceSettings settings;
  private final ActorRef<Report> parent;
  private final MeteredEndpoint handle;
  private Circuit circuit = Circuit.CLOSED;
  /** Probes that failed since the circuit opened: the penalty doubles with each. */
  private int failedProbes;

  private EndpointActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Endpoint endpoint,
      BalanceSettings settings,
      LongSupplier clock,
      ActorRef<Report> parent) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.parent = parent;
    this.handle =
        new MeteredEndpoint(
            endpoint,
            new PeakEwma(settings.decay(), settings.defaultRtt(), clock.getAsLong()),
            settings.consecutiveFailures(),
            new ActorSignals(context.getSelf()));
    parent.tell(new Started(endpoint, handle, context.getSelf()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Retire.INSTANCE, this::onRetire)
        .onMessage(FailingChanged.class, this::onFailingChanged)
        .onMessageEquals(PenaltyOver.INSTANCE, this::onPenaltyOver)
        .onMessage(Reconfigure.class, this::onReconfigure)
        .build();
  }

  private Behavior<Command> onReconfigure(Reconfigure r) {
    settings = r.settings();
    handle.failureThreshold(settings.consecutiveFailures());
    return this;
  }

  private Behavior<Command> onRetire() {
    getContext().getLog().debug("{} retired with {} in flight", handle.endpoint().address(),
        handle.pending());
    timers.cancel(PenaltyOver.INSTANCE);
    timers.startSingleTimer(DrainTimedOut.INSTANCE, settings.drainTimeout());
    handle.retire(); // may signal Drained at once
    return draining();
  }

  private Behavior<Command> onFailingChanged(FailingChanged changed) {
    if (changed.failing()) {
      if (circuit == Circuit.PROBING) {
        failedProbes++;
      } else if (circuit == Circuit.OPEN) {
        return this; // already out
      } else {
        failedProbes = 0;
      }
      circuit = Circuit.OPEN;
      Duration penalty = settings.penalty(failedProbes, ThreadLocalRandom.current().nextDouble());
      getContext().getLog().warn("{}: {} consecutive failures; out of the balancer for {} ms",
          handle.endpoint().address(), settings.consecutiveFailures(), penalty.toMillis());
      report(false);
      timers.startSingleTimer(PenaltyOver.INSTANCE, penalty);
    } else if (circuit != Circuit.CLOSED) {
      getContext().getLog().info("{}: recovered; back in the balancer", handle.endpoint().address());
      circuit = Circuit.CLOSED;
      failedProbes = 0;
      timers.cancel(PenaltyOver.INSTANCE);
      report(true);
    }
    return this;
  }

  private Behavior<Command> onPenaltyOver() {
    if (circuit == Circuit.OPEN) {
      circuit = Circuit.PROBING;
      handle.probe();
      report(true);
    }
    return this;
  }

  private void report(boolean available) {
    parent.tell(new Availability(handle.endpoint(), getContext().getSelf(), available));
  }

  private Behavior<Command> draining() {
    return Behaviors.receive(Command.class)
        .onMessage(Drained.class, d -> Behaviors.stopped())
        .onMessageEquals(
            DrainTimedOut.INSTANCE,
            () -> {
              // Stopping does not fail those requests: the meter outlives the actor.
              getContext().getLog().warn("{}: stopping with {} requests still in flight after {}",
                  handle.endpoint().address(), handle.pending(), settings.drainTimeout());
              return Behaviors.stopped();
            })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }
}
