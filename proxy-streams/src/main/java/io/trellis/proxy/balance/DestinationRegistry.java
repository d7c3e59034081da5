package io.trellis.proxy.balance;

import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Parent of the {@link ServiceEndpointsActor}s: spawns one per tracked service and forwards each
 * mesh snapshot's endpoints to it. Routing both through one actor orders them: a service tracked
 * while a snapshot arrives never sees an older snapshot after a newer one.
 */
final class DestinationRegistry extends AbstractBehavior<DestinationRegistry.Command> {

  interface Command {}

  /** Start publishing endpoints into this destination. */
  record Track(PublishedDestination destination) implements Command {}

  /** A new mesh snapshot from discovery. */
  record ApplyMesh(MeshConfig mesh) implements Command {}

  static Behavior<Command> create(BalanceSettings settings, LongSupplier clock) {
    return Behaviors.setup(context -> new DestinationRegistry(context, settings, clock));
  }

  private final BalanceSettings settings;
  private final LongSupplier clock;
  private final Map<ServiceRef, ActorRef<ServiceEndpointsActor.Command>> services =
      new HashMap<>();
  private MeshConfig mesh; // null until discovery's first snapshot

  private DestinationRegistry(
      ActorContext<Command> context, BalanceSettings settings, LongSupplier clock) {
    super(context);
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Track.class, this::onTrack)
        .onMessage(ApplyMesh.class, this::onApplyMesh)
        .build();
  }

  private Behavior<Command> onTrack(Track track) {
    ServiceRef service = track.destination().service();
    if (services.containsKey(service)) {
      return this;
    }
    ActorRef<ServiceEndpointsActor.Command> actor =
        getContext().spawn(
            ServiceEndpointsActor.create(track.destination(), settings, clock),
            "service-" + URLEncoder.encode(service.authority(), StandardCharsets.UTF_8));
    services.put(service, actor);
    if (mesh != null) {
      actor.tell(update(service));
    }
    return this;
  }

  private Behavior<Command> onApplyMesh(ApplyMesh apply) {
    mesh = apply.mesh();
    services.forEach((service, actor) -> actor.tell(update(service)));
    return this;
  }

  /** The service's endpoints and its settings (its own failure accrual, if mesh.conf has one). */
  private ServiceEndpointsActor.UpdateEndpoints update(ServiceRef service) {
    ServiceConfig config = mesh.services().get(service.name());
    return new ServiceEndpointsActor.UpdateEndpoints(
        mesh.endpointsOf(service.name()),
        settings.forService(config != null ? config.failureAccrual() : null));
  }
}
