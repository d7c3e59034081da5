package io.trellis.actors;

import io.trellis.actors.destination.DestinationGrpcService;
import io.trellis.actors.destination.MeshHolder;
import io.trellis.actors.destination.ServiceDestination;
import io.trellis.actors.destination.StreamStats;
import io.trellis.actors.metrics.MetricsGrpcService;
import io.trellis.config.MeshConfig;
import io.trellis.api.destination.Destination;
import io.trellis.actors.identity.IdentityAuthority;
import io.trellis.actors.identity.IdentityGrpcService;
import io.trellis.actors.tap.ControlPlaneTap;
import io.trellis.api.destination.DestinationHandlerFactory;
import io.trellis.api.identity.Identity;
import io.trellis.api.identity.IdentityHandlerFactory;
import io.trellis.actors.resources.ResourceStore;
import io.trellis.actors.resources.ResourcesGrpcService;
import io.trellis.api.controlplane.ControlPlaneStatus;
import io.trellis.api.controlplane.ControlPlaneStatusHandlerFactory;
import io.trellis.api.resources.Resources;
import io.trellis.api.resources.ResourcesHandlerFactory;
import io.trellis.api.tap.Tap;
import io.trellis.api.tap.TapHandlerFactory;
import io.trellis.discovery.MeshUpdates;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * A control-plane node's guardian: wires this node's mesh holder, the sharded service entities
 * and the gRPC server (destination, and identity when the node has a CA), and nothing else.
 */
final class ControlPlaneGuardian {
  private ControlPlaneGuardian() {}

  /** How long an apply or delete waits for a majority of nodes before it answers anyway. */
  private static final Duration RESOURCE_WRITE_TIMEOUT = Duration.ofSeconds(3);

  static Behavior<Void> create(
      ControlPlaneSettings settings,
      MeshUpdates mesh,
      Optional<IdentityAuthority> identity,
      StreamStats stats,
      CompletableFuture<ServerBinding> bound) {
    return Behaviors.setup(ctx -> {
      ActorSystem<Void> system = ctx.getSystem();
      if (settings.seedNodes().isEmpty()) {
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      ctx.spawn(ClusterMembersLog.create(), "cluster-members-log");

      ActorRef<MeshHolder.Command> holder = ctx.spawn(MeshHolder.create(mesh.current()), "mesh");
      // mesh.conf's mesh reaches the holder through the store, with the applied resources over it.
      ActorRef<ResourceStore.Command> store = ctx.spawn(ResourceStore.create(
          mesh.current(), holder, settings.stateDir(), RESOURCE_WRITE_TIMEOUT), "resources");
      mesh.subscribe(m -> store.tell(new ResourceStore.BaseMesh(m)));

      ClusterSharding sharding = ClusterSharding.get(system);
      sharding.init(Entity.of(ServiceDestination.KEY, entity ->
          ServiceDestination.create(
              entity.getEntityId(), holder, settings.entity(), entity.getShard())));

      DestinationGrpcService service = new DestinationGrpcService(
          system,
          mesh::current,
          holder,
          name -> command -> sharding.entityRefFor(ServiceDestination.KEY, name).tell(command),
          settings.streams(),
          stats);
      CoordinatedShutdown.get(system).addTask(
          CoordinatedShutdown.PhaseServiceRequestsDone(), "complete-destination-streams", () -> {
            service.completeAllStreams();
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      // Every gRPC service of the control plane, on the one API port (Linkerd's 8086). Each later
      // service (tap, identity, resources, metrics) adds its generated handler's partial here.
      List<Function<HttpRequest, CompletionStage<HttpResponse>>> handlers = new ArrayList<>();
      handlers.add(DestinationHandlerFactory.partial(service, Destination.name, system));
      handlers.add(
          TapHandlerFactory.partial(new ControlPlaneTap(system, mesh::current), Tap.name, system));
      identity.ifPresent(authority -> {
        // Tokens follow mesh.conf; the issuer follows its files (rotate-issuer, any node).
        mesh.subscribe(authority::applyMesh);
        system.scheduler().scheduleWithFixedDelay(settings.meshPollInterval(),
            settings.meshPollInterval(), authority::reloadIssuerIfChanged,
            system.executionContext());
        handlers.add(IdentityHandlerFactory.partial(
            new IdentityGrpcService(authority.signer(),
                system.dispatchers().lookup(DispatcherSelector.blocking())),
            Identity.name, system));
      });
      // stat ts reads the effective mesh (applied TrafficSplits included), as the holder has it.
      AtomicReference<MeshConfig> effective = new AtomicReference<>(mesh.current());
      holder.tell(new MeshHolder.Watch(ctx.spawn(Behaviors.<MeshConfig>receiveMessage(m -> {
        effective.set(m);
        return Behaviors.same();
      }), "effective-mesh")));
      handlers.add(MetricsGrpcService.start(ctx, mesh, effective::get));
      handlers.add(ResourcesHandlerFactory.partial(
          new ResourcesGrpcService(system, store, RESOURCE_WRITE_TIMEOUT.multipliedBy(2)),
          Resources.name, system));
      handlers.add(ControlPlaneStatusHandlerFactory.partial(
          new ControlPlaneStatusService(
              system, mesh, stats, identity.map(IdentityAuthority::stateDir)), ControlPlaneStatus.name, system));
      Http.get(system)
          .newServerAt(settings.destination().host(), settings.destination().port())
          .bind(concat(handlers))
          .whenComplete((binding, failure) -> {
            if (failure != null) {
              bound.completeExceptionally(failure);
            } else {
              // Ends streams before the cluster hand-over, so proxies move to other nodes.
              binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system);
              bound.complete(binding);
            }
          });
      return Behaviors.empty();
    });
  }

  @SuppressWarnings("unchecked")
  private static Function<HttpRequest, CompletionStage<HttpResponse>> concat(
      List<Function<HttpRequest, CompletionStage<HttpResponse>>> handlers) {
    return ServiceHandler.concatOrNotFound(handlers.toArray(new Function[0]));
  }
}
