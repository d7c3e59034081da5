package io.trellis.actors;

import com.typesafe.config.ConfigFactory;
import io.trellis.actors.destination.StreamStats;
import io.trellis.discovery.MeshUpdates;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A running control-plane node: a Pekko Cluster member that hosts some of the service entities
 * and serves the destination API for all services.
 *
 * <pre>{@code
 * ControlPlane node = ControlPlane.start(settings, HoconMeshSource.start(meshConf, poll))
 *     .toCompletableFuture().join();
 * node.destinationAddress();   // where proxies connect
 * node.stop();                 // leaves the cluster, ends streams (proxies move to other nodes)
 * }</pre>
 */
public final class ControlPlane {
  /** Every node of one cluster runs an actor system of this name. */
  public static final String SYSTEM_NAME = "trellis-control-plane";

  private final ActorSystem<Void> system;
  private final InetSocketAddress destination;
  private final StreamStats streams;

  private ControlPlane(ActorSystem<Void> system, InetSocketAddress destination, StreamStats streams) {
    this.system = system;
    this.destination = destination;
    this.streams = streams;
  }

  /** Starts a node; completes once the destination API listens. */
  public static CompletionStage<ControlPlane> start(
      ControlPlaneSettings settings, MeshUpdates mesh) {
    return start(SYSTEM_NAME, settings, mesh);
  }

  /**
   * As {@link #start(ControlPlaneSettings, MeshUpdates)} with another system name: nodes of one
   * cluster share it; tests give unrelated single nodes their own.
   */
  public static CompletionStage<ControlPlane> start(
      String systemName, ControlPlaneSettings settings, MeshUpdates mesh) {
    CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
    StreamStats stats = new StreamStats();
    ActorSystem<Void> system = ActorSystem.create(
        ControlPlaneGuardian.create(settings, mesh, stats, bound),
        systemName,
        settings.pekkoConfig(systemName).withFallback(ConfigFactory.load()));
    return bound.handle((binding, failure) -> {
      if (failure != null) {
        system.terminate();
        throw new IllegalStateException("destination API cannot listen on "
            + settings.destination() + ": " + failure.getMessage(), failure);
      }
      return new ControlPlane(system, binding.localAddress(), stats);
    });
  }

  public InetSocketAddress destinationAddress() {
    return destination;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public StreamStats streams() {
    return streams;
  }

  /** Leaves the cluster (coordinated shutdown) and stops; completes when the system is down. */
  public CompletionStage<Done> stop() {
    system.terminate();
    return system.getWhenTerminated();
  }
}
