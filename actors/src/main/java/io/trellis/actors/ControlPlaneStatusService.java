package io.trellis.actors;

import io.trellis.actors.destination.StreamStats;
import io.trellis.api.controlplane.CertificateInfo;
import io.trellis.api.controlplane.ControlPlaneStatus;
import io.trellis.api.controlplane.IdentityStatus;
import io.trellis.api.controlplane.Member;
import io.trellis.api.controlplane.StatusReply;
import io.trellis.api.controlplane.StatusRequest;
import io.trellis.api.controlplane.Subscriber;
import io.trellis.api.controlplane.Workload;
import io.trellis.config.MeshConfig;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.discovery.MeshUpdates;
import io.trellis.identity.ca.CaLoadException;
import io.trellis.identity.ca.CaStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;
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
  private final Optional<Path> stateDir;

  /** @param stateDir the identity service's state directory; empty without identity */
  ControlPlaneStatusService(
      ActorSystem<?> system, MeshUpdates mesh, StreamStats stats, Optional<Path> stateDir) {
    this.system = system;
    this.mesh = mesh;
    this.stats = stats;
    this.stateDir = stateDir;
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
    stateDir.ifPresent(dir -> b.setIdentity(identity(dir)));
    return CompletableFuture.completedFuture(b.build());
  }

  /** The CA as it is on disk now (what the next certificate and a proxy's bundle come from). */
  static IdentityStatus identity(Path stateDir) {
    IdentityStatus.Builder b = IdentityStatus.newBuilder()
        .setCaDirectory(CaStore.directory(stateDir).toString())
        .setAnchorRotationPending(Files.isDirectory(CaStore.pendingAnchorRotation(stateDir)));
    try {
      CaStore.Loaded loaded = CaStore.load(stateDir, Clock.systemUTC());
      X509Certificate issuer = loaded.ca().issuer().certificate();
      b.setIssuer(info(issuer));
      boolean signed = false;
      for (X509Certificate anchor : loaded.bundle().anchors()) {
        b.addAnchors(info(anchor));
        try {
          issuer.verify(anchor.getPublicKey());
          signed = true;
        } catch (GeneralSecurityException e) {
          // another anchor of the bundle may have signed it
        }
      }
      b.setIssuerSignedByAnchor(signed);
    } catch (CaLoadException | RuntimeException e) {
      b.setError(String.valueOf(e.getMessage()));
    }
    return b.build();
  }

  private static CertificateInfo info(X509Certificate c) {
    return CertificateInfo.newBuilder()
        .setSubject(c.getSubjectX500Principal().getName())
        .setSerial(c.getSerialNumber().toString(16))
        .setNotBeforeMs(c.getNotBefore().getTime())
        .setNotAfterMs(c.getNotAfter().getTime())
        .build();
  }

  private static String hostPort(Address a) {
    return a.getHost().orElse("?") + ":" + a.getPort().map(String::valueOf).orElse("?");
  }
}
