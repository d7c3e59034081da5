package io.trellis.proxy.balance;

import io.trellis.config.Endpoint;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One service's endpoint publisher. Given the service's endpoint list (from discovery) it diffs it
 * against what it has, spawns an {@link EndpointActor} per new endpoint and retires the removed
 * ones, and publishes an immutable {@link EndpointSet} of the started endpoints, in discovery
 * order, into the service's {@link PublishedDestination}; an endpoint whose circuit is open (its
 * actor reported it unavailable) is left out until its actor reports it available again.
 *
 * <p>A removed endpoint leaves the published set before it is told to retire, so new requests stop
 * going there while those in flight finish undisturbed. Added endpoints are published together
 * once all of them have started (a few messages later), so a cold start does not send its first
 * requests to whichever endpoint happened to start first.
 */
public final class ServiceEndpointsActor extends AbstractBehavior<ServiceEndpointsActor.Command> {

  /** Delay before replacing an endpoint actor that stopped on its own: no tight respawn loop. */
  private static final Duration RESPAWN_DELAY = Duration.ofSeconds(1);

  public interface Command {}

  /**
   * Make the service's endpoints exactly these (in this order), with these settings (null: keep
   * the current ones). Changed failure-accrual settings apply to the live endpoints too.
   */
  public record UpdateEndpoints(List<Endpoint> endpoints, BalanceSettings settings)
      implements Command {
    public UpdateEndpoints {
      endpoints = List.copyOf(endpoints);
    }

    public UpdateEndpoints(List<Endpoint> endpoints) {
      this(endpoints, null);
    }
  }

  private record WrappedReport(EndpointActor.Report report) implements Command {}

  private record Respawn(Endpoint endpoint) implements Command {}

  static Behavior<Command> create(
      PublishedDestination destination, BalanceSettings settings, LongSupplier clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new ServiceEndpointsActor(context, timers, destination, settings, clock)));
  }

  private final TimerScheduler<Command> timers;
  private final PublishedDestination destination;
  private BalanceSettings settings;
  private final LongSupplier clock;
  private final ActorRef<EndpointActor.Report> reportAdapter;
  /** The endpoints discovery wants, in its order. */
  private List<Endpoint> wanted = List.of();
  /** The live actor of each wanted endpoint. */
  private final Map<Endpoint, ActorRef<EndpointActor.Command>> actors = new HashMap<>();
  /** Wanted endpoints whose actors have not reported {@code Started} yet. */
  private final Set<Endpoint> starting = new HashSet<>();
  /** The handles of the wanted endpoints whose actors have started. */
  private final Map<Endpoint, EndpointHandle> started = new HashMap<>();
  /** Started endpoints whose circuit is open: left out of the published set. */
  private final Set<Endpoint> broken = new HashSet<>();
  private long spawned;

  private ServiceEndpointsActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      PublishedDestination destination,
      BalanceSettings settings,
      LongSupplier clock) {
    super(context);
    this.timers = timers;
    this.destination = destination;
    this.settings = settings;
    this.clock = clock;
    this.reportAdapter = context.messageAdapter(EndpointActor.Report.class, WrappedReport::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(UpdateEndpoints.class, this::onUpdateEndpoints)
        .onMessage(WrappedReport.class, this::onReport)
        .onMessage(Respawn.class, this::onRespawn)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  private Behavior<Command> onUpdateEndpoints(UpdateEndpoints update) {
    if (update.settings() != null && !update.settings().equals(settings)) {
      settings = update.settings();
      actors.values().forEach(a -> a.tell(new EndpointActor.Reconfigure(settings)));
    }
    List<Endpoint> next = List.copyOf(new LinkedHashSet<>(update.endpoints()));
    if (next.equals(wanted)) {
      return this;
    }
    Set<Endpoint> keep = new HashSet<>(next);
    List<ActorRef<EndpointActor.Command>> retiring = new ArrayList<>();
    for (Endpoint endpoint : wanted) {
      if (!keep.contains(endpoint)) {
        started.remove(endpoint);
        broken.remove(endpoint);
        starting.remove(endpoint);
        timers.cancel(endpoint);
        ActorRef<EndpointActor.Command> actor = actors.remove(endpoint);
        if (actor != null) {
          retiring.add(actor);
        }
      }
    }
    wanted = next;
    for (Endpoint endpoint : wanted) {
      if (!actors.containsKey(endpoint) && !timers.isTimerActive(endpoint)) {
        spawn(endpoint);
      }
    }
    getContext().getLog().debug("{}: {} endpoints, retiring {}",
        destination.service().authority(), wanted.size(), retiring.size());
    // Publish first: new requests must not pick an endpoint that is already draining.
    publish();
    retiring.forEach(actor -> {
      getContext().unwatch(actor);
      actor.tell(EndpointActor.Retire.INSTANCE);
    });
    return this;
  }

  private Behavior<Command> onReport(WrappedReport w) {
    if (w.report() instanceof EndpointActor.Started s) {
      return onStarted(s);
    }
    return onAvailability((EndpointActor.Availability) w.report());
  }

  private Behavior<Command> onAvailability(EndpointActor.Availability a) {
    // Only the current actor of a wanted endpoint decides (a retired one may still report).
    if (a.endpointActor().equals(actors.get(a.endpoint()))) {
      boolean changed = a.available() ? broken.remove(a.endpoint()) : broken.add(a.endpoint());
      if (changed) {
        publish();
      }
    }
    return this;
  }

  private Behavior<Command> onStarted(EndpointActor.Started s) {
    // A late reply from an endpoint removed (or replaced) meanwhile is not published.
    if (s.endpointActor().equals(actors.get(s.endpoint()))) {
      starting.remove(s.endpoint());
      started.put(s.endpoint(), s.handle());
      if (starting.isEmpty()) {
        publish();
      }
    }
    return this;
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    // Only unexpected stops arrive here: retired actors are unwatched first.
    for (Map.Entry<Endpoint, ActorRef<EndpointActor.Command>> e : actors.entrySet()) {
      if (e.getValue().equals(terminated.getRef())) {
        Endpoint endpoint = e.getKey();
        getContext().getLog().error("{}: the actor of {} stopped unexpectedly; replacing it in {}",
            destination.service().authority(), endpoint.address(), RESPAWN_DELAY);
        actors.remove(endpoint);
        starting.remove(endpoint);
        started.remove(endpoint);
        broken.remove(endpoint);
        publish();
        timers.startSingleTimer(endpoint, new Respawn(endpoint), RESPAWN_DELAY);
        break;
      }
    }
    return this;
  }

  private Behavior<Command> onRespawn(Respawn respawn) {
    if (wanted.contains(respawn.endpoint()) && !actors.containsKey(respawn.endpoint())) {
      spawn(respawn.endpoint());
    }
    return this;
  }

  private void spawn(Endpoint endpoint) {
    String name = "endpoint-" + (spawned++) + "-"
        + URLEncoder.encode(endpoint.address().toString(), StandardCharsets.UTF_8);
    ActorRef<EndpointActor.Command> actor =
        getContext().spawn(EndpointActor.create(endpoint, settings, clock, reportAdapter), name);
    getContext().watch(actor);
    actors.put(endpoint, actor);
    starting.add(endpoint);
  }

  /**
   * Publishes the started endpoints whose circuit is not open, in discovery order, unless that is
   * what is published.
   */
  private void publish() {
    List<EndpointHandle> handles = new ArrayList<>(started.size());
    for (Endpoint endpoint : wanted) {
      EndpointHandle handle = started.get(endpoint);
      if (handle != null && !broken.contains(endpoint)) {
        handles.add(handle);
      }
    }
    if (!handles.equals(destination.current().endpoints())) {
      destination.publish(new EndpointSet(handles));
    }
  }
}
