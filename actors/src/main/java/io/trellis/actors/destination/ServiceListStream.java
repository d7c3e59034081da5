package io.trellis.actors.destination;

import io.trellis.api.destination.ServiceList;
import io.trellis.config.MeshConfig;
import io.trellis.discovery.destination.MeshProtos;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One proxy's stream of the mesh's service list. Served from this node's own {@link MeshHolder}:
 * the list is the same on every node (each reads the same discovery source), so it needs no
 * entity and survives any other node going away.
 */
public final class ServiceListStream {
  private ServiceListStream() {}

  public interface Command {}

  /** The proxy's stream ended (cancelled, failed or completed). */
  public enum StreamEnded implements Command {
    INSTANCE
  }

  private record MeshChanged(MeshConfig mesh) implements Command {}

  public static Behavior<Command> create(
      ActorRef<MeshHolder.Command> mesh, ProxyQueue<ServiceList> queue) {
    return Behaviors.setup(ctx -> {
      mesh.tell(new MeshHolder.Watch(ctx.messageAdapter(MeshConfig.class, MeshChanged::new)));
      return Behaviors.receive(Command.class)
          .onMessage(MeshChanged.class, m ->
              queue.offer(MeshProtos.serviceList(m.mesh())) ? Behaviors.same() : Behaviors.stopped())
          .onMessageEquals(StreamEnded.INSTANCE, Behaviors::stopped)
          .build();
    });
  }
}
