package io.trellis.proxy.balance;

import io.trellis.config.Endpoint;
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
 * <p>The request path never messages this actor. The meter tells it about transitions only: the
 * last in-flight request of a retired endpoint finished, or consecutive failures crossed the
 * failure-accrual threshold (the seam for circuit breaking, a later issue).
 */
public final class EndpointActor extends AbstractBehavior<EndpointActor.Command> {

  public interface Command {}

  /** Stop once the requests in flight have finished. The endpoint is no longer published. */
  public enum Retire implements Command {
    INSTANCE
  }

  /** Reply to the parent once started: publish {@code handle}. */
  public record Started(Endpoint endpoint, EndpointHandle handle, ActorRef<Command> endpointActor) {}

  // Signals from the meter, on transitions only (see ActorSignals).
  private record Drained() implements Command {}

  private record FailingChanged(boolean failing) implements Command {}

  private enum DrainTimedOut implements Command {
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
      Endpoint endpoint, BalanceSettings settings, LongSupplier clock, ActorRef<Started> parent) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new EndpointActor(context, timers, endpoint, settings, clock, parent)));
  }

  private final TimerScheduler<Command> timers;
  private final BalanceSettings settings;
  private final MeteredEndpoint handle;
  private boolean failing;

  private EndpointActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Endpoint endpoint,
      BalanceSettings settings,
      LongSupplier clock,
      ActorRef<Started> parent) {
    super(context);
    this.timers = timers;
    this.settings = settings;
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
        .build();
  }

  private Behavior<Command> onRetire() {
    getContext().getLog().debug("{} retired with {} in flight", handle.endpoint().address(),
        handle.pending());
    timers.startSingleTimer(DrainTimedOut.INSTANCE, settings.drainTimeout());
    handle.retire(); // may signal Drained at once
    return draining();
  }

  private Behavior<Command> onFailingChanged(FailingChanged changed) {
    // Failure accrual seam: a later issue takes the endpoint out of the published set here and
    // probes it with backoff. For now the actor only records the state.
    if (changed.failing() != failing) {
      failing = changed.failing();
      if (failing) {
        getContext().getLog().warn("{}: {} consecutive failures", handle.endpoint().address(),
            settings.consecutiveFailures());
      } else {
        getContext().getLog().info("{}: recovered", handle.endpoint().address());
      }
    }
    return this;
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
