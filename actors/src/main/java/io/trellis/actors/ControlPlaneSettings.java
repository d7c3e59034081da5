package io.trellis.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.trellis.actors.destination.DestinationGrpcService;
import io.trellis.actors.destination.ServiceDestination;
import io.trellis.config.HostPort;
import io.trellis.discovery.destination.MeshProtos;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code trellis.control-plane}: read once from actors' reference.conf under what mesh.conf (or
 * the command line) says. The block sits next to {@code trellis.mesh} in the same file; the mesh
 * loader ignores it and this record validates it.
 *
 * @param destination where the destination gRPC API listens
 * @param node this node's cluster (artery) address
 * @param seedNodes the cluster's seed nodes; empty means this node forms a cluster of its own
 * @param stateDir where this node keeps what must outlive it (CA, workload tokens, applied
 *     resources); null until {@link #withStateDirBeside} or the setting names one
 */
public record ControlPlaneSettings(
    HostPort destination,
    HostPort node,
    List<HostPort> seedNodes,
    int streamBuffer,
    Duration subscribeRetry,
    Duration idlePassivation,
    MeshProtos.IdentityDomain identity,
    Duration meshPollInterval,
    Duration downingStableAfter,
    Duration shutdownDeadline,
    Path stateDir) {

  static final String PATH = "trellis.control-plane";

  public ControlPlaneSettings {
    seedNodes = List.copyOf(seedNodes);
    if (streamBuffer < 1) {
      throw new IllegalArgumentException(PATH + ".stream-buffer must be at least 1");
    }
  }

  /** The defaults of reference.conf. */
  public static ControlPlaneSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference());
  }

  /** Reads {@code trellis.control-plane} from {@code config} (with reference.conf beneath it). */
  public static ControlPlaneSettings fromConfig(Config config) {
    Config c = config.withFallback(ConfigFactory.defaultReference()).resolve().getConfig(PATH);
    return new ControlPlaneSettings(
        hostPort(c, "destination"),
        hostPort(c, "node"),
        hostPorts(c, "seed-nodes"),
        c.getInt("stream-buffer"),
        c.getDuration("subscribe-retry"),
        c.getDuration("idle-passivation"),
        new MeshProtos.IdentityDomain(
            c.getString("identity.control-namespace"), c.getString("identity.trust-domain")),
        c.getDuration("mesh-poll-interval"),
        c.getDuration("downing-stable-after"),
        c.getDuration("shutdown-deadline"),
        c.getString("state-dir").isBlank() ? null : Path.of(c.getString("state-dir")));
  }

  public ControlPlaneSettings withDestination(HostPort destination) {
    return new ControlPlaneSettings(destination, node, seedNodes, streamBuffer, subscribeRetry,
        idlePassivation, identity, meshPollInterval, downingStableAfter, shutdownDeadline,
        stateDir);
  }

  public ControlPlaneSettings withNode(HostPort node) {
    return new ControlPlaneSettings(destination, node, seedNodes, streamBuffer, subscribeRetry,
        idlePassivation, identity, meshPollInterval, downingStableAfter, shutdownDeadline,
        stateDir);
  }

  public ControlPlaneSettings withSeedNodes(List<HostPort> seedNodes) {
    return new ControlPlaneSettings(destination, node, seedNodes, streamBuffer, subscribeRetry,
        idlePassivation, identity, meshPollInterval, downingStableAfter, shutdownDeadline,
        stateDir);
  }

  public ControlPlaneSettings withStreamBuffer(int streamBuffer) {
    return new ControlPlaneSettings(destination, node, seedNodes, streamBuffer, subscribeRetry,
        idlePassivation, identity, meshPollInterval, downingStableAfter, shutdownDeadline,
        stateDir);
  }

  public ControlPlaneSettings withMeshPollInterval(Duration meshPollInterval) {
    return new ControlPlaneSettings(destination, node, seedNodes, streamBuffer, subscribeRetry,
        idlePassivation, identity, meshPollInterval, downingStableAfter, shutdownDeadline,
        stateDir);
  }

  public ControlPlaneSettings withStateDir(Path stateDir) {
    return new ControlPlaneSettings(destination, node, seedNodes, streamBuffer, subscribeRetry,
        idlePassivation, identity, meshPollInterval, downingStableAfter, shutdownDeadline,
        stateDir);
  }

  /**
   * The state directory: the one the settings name (relative to mesh.conf's directory), else
   * {@value #DEFAULT_STATE_DIR} beside mesh.conf, where {@code trellis proxy --config} finds it too.
   */
  public ControlPlaneSettings withStateDirBeside(Path meshConf) {
    Path dir = meshConf.toAbsolutePath().getParent();
    return withStateDir(stateDir == null ? defaultStateDir(meshConf) : dir.resolve(stateDir));
  }

  /** {@value #DEFAULT_STATE_DIR} in mesh.conf's directory. */
  public static Path defaultStateDir(Path meshConf) {
    return meshConf.toAbsolutePath().getParent().resolve(DEFAULT_STATE_DIR);
  }

  public static final String DEFAULT_STATE_DIR = ".trellis";

  public ServiceDestination.Settings entity() {
    return new ServiceDestination.Settings(identity, idlePassivation);
  }

  public DestinationGrpcService.Settings streams() {
    return new DestinationGrpcService.Settings(streamBuffer, subscribeRetry);
  }

  /** The Pekko settings a control-plane node runs with: cluster on artery, SBR, HTTP/2. */
  Config pekkoConfig(String systemName) {
    String seeds = seedNodes.stream()
        .map(s -> "\"pekko://" + systemName + "@" + s + "\"")
        .collect(Collectors.joining(", ", "[", "]"));
    return ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = cluster",
        "pekko.remote.artery.canonical.hostname = \"" + node.host() + "\"",
        "pekko.remote.artery.canonical.port = " + node.port(),
        "pekko.cluster.seed-nodes = " + seeds,
        "pekko.cluster.downing-provider-class = "
            + "\"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"",
        "pekko.cluster.split-brain-resolver.active-strategy = keep-majority",
        "pekko.cluster.split-brain-resolver.stable-after = " + downingStableAfter.toMillis() + "ms",
        // Tests run several nodes in one JVM; harmless for one node per JVM.
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
        // Entities passivate themselves when their last stream ends, not on a quiet mesh.
        "pekko.cluster.sharding.passivation.strategy = none",
        // gRPC is HTTP/2; the preview key is substituted from the plain one in reference.conf.
        "pekko.http.server.enable-http2 = on",
        "pekko.http.server.preview.enable-http2 = on",
        // Streams are unbounded and may be quiet for hours; HTTP/2 PINGs find dead proxies.
        "pekko.http.server.request-timeout = off",
        "pekko.http.server.idle-timeout = infinite",
        "pekko.http.server.http2.ping-interval = 10s",
        "pekko.http.server.http2.ping-timeout = 10s"));
  }

  private static HostPort hostPort(Config c, String key) {
    return parse(c.getString(key), PATH + "." + key);
  }

  private static List<HostPort> hostPorts(Config c, String key) {
    List<HostPort> out = new ArrayList<>();
    List<String> values = c.getStringList(key);
    for (int i = 0; i < values.size(); i++) {
      out.add(parse(values.get(i), PATH + "." + key + "[" + i + "]"));
    }
    return out;
  }

  /** {@code host:port} or {@code [v6]:port}; the message names the key. */
  public static HostPort parse(String text, String key) {
    try {
      return HostPort.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(key, e.getMessage());
    }
  }

}
