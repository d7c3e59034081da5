package io.trellis.actors;

import com.typesafe.config.ConfigFactory;
import io.trellis.actors.destination.StreamStats;
import io.trellis.actors.identity.IdentityAuthority;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.CaLoadException;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import io.trellis.discovery.MeshUpdates;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A running control-plane node: a Pekko Cluster member that hosts some of the service entities
 * and serves the destination API for all services and, with a state directory, the identity API.
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
    return start(systemName, settings, mesh, IdentitySettings.defaults(), Clock.systemUTC());
  }

  /**
   * As above with the identity service's settings ({@code trellis.identity} of mesh.conf; its
   * trust domain and control namespace are the ones of {@code trellis.control-plane.identity}).
   * With a state directory the node serves the identity API: it loads the CA there, creating one
   * when there is none, and keeps a token per workload of the mesh in {@code tokens/}. Nodes of
   * one cluster must share the state directory (or hold copies of one CA).
   */
  public static CompletionStage<ControlPlane> start(String systemName,
      ControlPlaneSettings settings, MeshUpdates mesh, IdentitySettings identity, Clock clock) {
    Optional<IdentityAuthority> authority = Optional.empty();
    if (settings.stateDir() != null) {
      try {
        authority = Optional.of(IdentityAuthority.start(settings.stateDir(), identity.withDomain(
            settings.identity().controlNamespace(), settings.identity().trustDomain()), clock));
      } catch (CaLoadException | IOException | RuntimeException e) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("identity: " + e.getMessage(), e));
      }
    }
    return start(systemName, settings, mesh, authority);
  }

  private static CompletionStage<ControlPlane> start(String systemName,
      ControlPlaneSettings settings, MeshUpdates mesh, Optional<IdentityAuthority> authority) {
    CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
    StreamStats stats = new StreamStats();
    ActorSystem<Void> system = ActorSystem.create(
        ControlPlaneGuardian.create(settings, mesh, authority, stats, bound),
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
