package io.trellis.proxy.balance;

import io.trellis.config.Endpoint;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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

/**
 * One service's endpoint publisher. Given the service's endpoint list (from discovery) it diffs it
 * against what it has, spawns an {@link EndpointActor} per new endpoint and retires the removed
 * ones, and publishes an immutable {@link EndpointSet} of the started endpoints, in discovery
 * order, into the service's {@link PublishedDestination}.
 *
 * <p>A removed endpoint leaves the published set before it is told to retire, so new requests stop
 * going there while those in flight finish undisturbed.
 */
public final class ServiceEndpointsActor extends AbstractBehavior<ServiceEndpointsActor.Command> {

  public interface Command {}

  /** Make the service's endpoints exactly these (in this order). */
  public record UpdateEndpoints(List<Endpoint> endpoints) implements Command {
    public UpdateEndpoints {
      endpoints = List.copyOf(endpoints);
    }
  }

  private record WrappedStarted(EndpointActor.Started started) implements Command {}

  static Behavior<Command> create(
      PublishedDestination destination, BalanceSettings settings, LongSupplier clock) {
    return Behaviors.setup(context -> new ServiceEndpointsActor(context, destination, settings,
        clock));
  }

  private final PublishedDestination destination;
  private final BalanceSettings settings;
  private final LongSupplier clock;
  private final ActorRef<EndpointActor.Started> startedAdapter;
  /** Every wanted endpoint and its actor, in discovery order. */
  private final Map<Endpoint, ActorRef<EndpointActor.Command>> actors = new LinkedHashMap<>();
  /** The handles of the wanted endpoints whose actors have started. */
  private final Map<Endpoint, EndpointHandle> started = new HashMap<>();
  private long spawned;

  private ServiceEndpointsActor(
      ActorContext<Command> context,
      PublishedDestination destination,
      BalanceSettings settings,
      LongSupplier clock) {
    super(context);
    this.destination = destination;
    this.settings = settings;
    this.clock = clock;
    this.startedAdapter = context.messageAdapter(EndpointActor.Started.class, WrappedStarted::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(UpdateEndpoints.class, this::onUpdateEndpoints)
        .onMessage(WrappedStarted.class, w -> onStarted(w.started()))
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  private Behavior<Command> onUpdateEndpoints(UpdateEndpoints update) {
    Set<Endpoint> wanted = new LinkedHashSet<>(update.endpoints());
    if (new ArrayList<>(wanted).equals(new ArrayList<>(actors.keySet()))) {
      return this;
    }
    List<ActorRef<EndpointActor.Command>> retiring = new ArrayList<>();
    Map<Endpoint, ActorRef<EndpointActor.Command>> next = new LinkedHashMap<>();
    for (Endpoint endpoint : wanted) {
      ActorRef<EndpointActor.Command> actor = actors.get(endpoint);
      next.put(endpoint, actor != null ? actor : spawn(endpoint));
    }
    actors.forEach(
        (endpoint, actor) -> {
          if (!wanted.contains(endpoint)) {
            started.remove(endpoint);
            retiring.add(actor);
          }
        });
    actors.clear();
    actors.putAll(next);
    getContext().getLog().debug("{}: {} endpoints, retiring {}",
        destination.service().authority(), actors.size(), retiring.size());
    // Publish first: new requests must not pick an endpoint that is already draining.
    publish();
    retiring.forEach(actor -> {
      getContext().unwatch(actor);
      actor.tell(EndpointActor.Retire.INSTANCE);
    });
    return this;
  }

  private Behavior<Command> onStarted(EndpointActor.Started s) {
    // A late reply from an endpoint removed (or replaced) meanwhile is not published.
    if (s.endpointActor().equals(actors.get(s.endpoint()))) {
      started.put(s.endpoint(), s.handle());
      publish();
    }
    return this;
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    // Only unexpected stops arrive here (retired actors are unwatched): replace the actor.
    for (Map.Entry<Endpoint, ActorRef<EndpointActor.Command>> e : actors.entrySet()) {
      if (e.getValue().equals(terminated.getRef())) {
        Endpoint endpoint = e.getKey();
        getContext().getLog().warn("{}: actor of {} stopped unexpectedly, restarting it",
            destination.service().authority(), endpoint.address());
        started.remove(endpoint);
        publish();
        e.setValue(spawn(endpoint));
        break;
      }
    }
    return this;
  }

  private ActorRef<EndpointActor.Command> spawn(Endpoint endpoint) {
    String name = "endpoint-" + (spawned++) + "-"
        + URLEncoder.encode(endpoint.address().toString(), StandardCharsets.UTF_8);
    ActorRef<EndpointActor.Command> actor =
        getContext().spawn(EndpointActor.create(endpoint, settings, clock, startedAdapter), name);
    getContext().watch(actor);
    return actor;
  }

  private void publish() {
    List<EndpointHandle> handles = new ArrayList<>(started.size());
    for (Endpoint endpoint : actors.keySet()) {
      EndpointHandle handle = started.get(endpoint);
      if (handle != null) {
        handles.add(handle);
      }
    }
    if (!handles.equals(destination.current().endpoints())) {
      destination.publish(new EndpointSet(handles));
    }
  }
}
