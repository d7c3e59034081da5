package io.trellis.actors;

import io.trellis.actors.destination.StreamStats;
import io.trellis.api.controlplane.ControlPlaneStatus;
import io.trellis.api.controlplane.Member;
import io.trellis.api.controlplane.StatusReply;
import io.trellis.api.controlplane.StatusRequest;
import io.trellis.api.controlplane.Subscriber;
import io.trellis.api.controlplane.Workload;
import io.trellis.config.MeshConfig;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.discovery.MeshUpdates;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What {@code trellis check} asks a node: the cluster as it sees it, its downing settings, the
 * mesh it loaded (and whether the last reload failed), and which proxies are subscribed here.
 * Reads only in-memory state; no actor is asked.
 */
final class ControlPlaneStatusService implements ControlPlaneStatus {
  private final ActorSystem<?> system;
  private final MeshUpdates mesh;
  private final StreamStats stats;

  ControlPlaneStatusService(ActorSystem<?> system, MeshUpdates mesh, StreamStats stats) {
    this.system = system;
    this.mesh = mesh;
    this.stats = stats;
  }

  @Override
  public CompletionStage<StatusReply> status(StatusRequest in) {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Address> unreachable = state.getUnreachable().stream()
        .map(m -> m.address()).collect(Collectors.toSet());
    StatusReply.Builder b = StatusReply.newBuilder().setSelf(hostPort(cluster.selfMember().address()));
    state.getMembers().forEach(m -> b.addMembers(Member.newBuilder()
        .setAddress(hostPort(m.address()))
        .setStatus(m.status().toString())
        .setReachable(!unreachable.contains(m.address()))));
    var config = system.settings().config();
    b.setDowningProvider(config.getString("pekko.cluster.downing-provider-class"));
    b.setSbrStrategy(config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    MeshConfig current = mesh.current();
    b.setMeshSource(current.source() == null ? "" : current.source().toString());
    b.setNamespace(current.namespace());
    current.workloads().values().stream()
        .sorted((x, y) -> x.name().compareTo(y.name()))
        .forEach(w -> b.addWorkloads(Workload.newBuilder().setName(w.name())
            .setNamespace(current.namespace()).setAdmin(w.proxy().admin().toString())));
    stats.subscribers().forEach((w, n) ->
        b.addSubscribers(Subscriber.newBuilder().setWorkload(w).setStreams(n)));
    if (mesh instanceof HoconMeshSource source) {
      source.lastFailure().ifPresent(e -> b.setMeshError(String.valueOf(e.getMessage())));
    }
    return CompletableFuture.completedFuture(b.build());
  }

  private static String hostPort(Address a) {
    return a.getHost().orElse("?") + ":" + a.getPort().map(String::valueOf).orElse("?");
  }
}
