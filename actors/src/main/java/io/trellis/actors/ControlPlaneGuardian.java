package io.trellis.actors;

import io.trellis.actors.destination.DestinationGrpcService;
import io.trellis.actors.destination.MeshHolder;
import io.trellis.actors.destination.ServiceDestination;
import io.trellis.actors.destination.StreamStats;
import io.trellis.api.destination.DestinationHandlerFactory;
import io.trellis.discovery.MeshUpdates;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A control-plane node's guardian: wires this node's mesh holder, the sharded service entities
 * and the destination gRPC server, and nothing else.
 */
final class ControlPlaneGuardian {
  private ControlPlaneGuardian() {}

  static Behavior<Void> create(
      ControlPlaneSettings settings,
      MeshUpdates mesh,
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
      mesh.subscribe(m -> holder.tell(new MeshHolder.ApplyMesh(m)));

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
      Http.get(system)
          .newServerAt(settings.destination().host(), settings.destination().port())
          .bind(DestinationHandlerFactory.create(service, system))
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
}
