package io.trellis.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.WorkloadConfig;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.discovery.MeshUpdates;
import io.trellis.discovery.destination.DestinationApiSource;
import io.trellis.proxy.ProxySettings;
import io.trellis.proxy.Sidecar;
import io.trellis.proxy.metrics.KamonSetup;
import io.trellis.proxy.metrics.WorkloadLabels;
import io.trellis.proxy.balance.ActorDestinations;
import io.trellis.proxy.balance.BalanceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis proxy}: runs one workload's sidecar proxy in the foreground. */
@Command(
    name = "proxy",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the sidecar proxy of one workload of mesh.conf in the foreground:",
      "outbound, inbound and admin listeners on the workload's proxy ports.",
      "Edits to mesh.conf apply while it runs. With --control-plane, mesh.conf only",
      "defines this workload; services, endpoints and profiles come from the control plane."
    })
final class ProxyCommand implements Callable<Integer> {
  static final int CONFIG_ERROR = 2;
  static final int START_ERROR = 1;
  private static final Logger log = LoggerFactory.getLogger(ProxyCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "mesh.conf")
  Path config;

  @Option(names = "--workload", required = true, paramLabel = "NAME", description = "the workload")
  String workload;

  @Option(
      names = "--mesh-poll-interval",
      defaultValue = "1s",
      paramLabel = "DURATION",
      description = "Longest an edit of mesh.conf can go unnoticed (default: ${DEFAULT-VALUE}).")
  String pollInterval;

  @Option(
      names = "--control-plane",
      paramLabel = "ADDR[,ADDR..]",
      description =
          "Destination API addresses (host:port), tried in order. Discovery then comes from the"
              + " control plane, and the proxy keeps serving its last known state while none is"
              + " reachable.")
  String controlPlane;

  @Option(
      names = "--control-plane-wait",
      defaultValue = "10s",
      paramLabel = "DURATION",
      description =
          "How long to wait for the control plane's first answer before serving without it"
              + " (default: ${DEFAULT-VALUE}).")
  String controlPlaneWait;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(config)) {
      err("trellis proxy: " + config + ": no such file");
      return CONFIG_ERROR;
    }
    HoconMeshSource local;
    try {
      local = HoconMeshSource.start(config, parseDuration(pollInterval), MeshConfigLoader::load);
    } catch (RuntimeException e) {
      // The loader's message names the file, line and key.
      err("trellis proxy: " + e.getMessage());
      return CONFIG_ERROR;
    }
    MeshConfig current = local.current();
    WorkloadConfig self = current.workloads().get(workload);
    if (self == null) {
      err(
          "trellis proxy: "
              + config
              + ": no workload '"
              + workload
              + "' (workloads: "
              + String.join(", ", new TreeSet<>(current.workloads().keySet()))
              + ")");
      local.close();
      return CONFIG_ERROR;
    }
    List<HostPort> controlPlanes = List.of();
    if (controlPlane != null) {
      try {
        controlPlanes = DestinationApiSource.Settings.parseAddresses(controlPlane);
      } catch (IllegalArgumentException e) {
        err("trellis proxy: --control-plane: " + e.getMessage());
        local.close();
        return CONFIG_ERROR;
      }
    }

    Config settings = ConfigFactory.load();
    ProxySettings proxySettings = ProxySettings.fromConfig(settings);
    // The metrics' workload labels from the local file: a control plane's mesh may not have
    // arrived yet when the sidecar starts (Kamon keeps the first labels of the JVM).
    KamonSetup.start(
        proxySettings.metricsTickInterval(), WorkloadLabels.of(current.namespace(), workload));
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), "trellis-proxy-" + workload, settings);
    MeshUpdates mesh = local;
    DestinationApiSource remote = null;
    if (!controlPlanes.isEmpty()) {
      // The workload itself (addresses, app port) stays defined by the local file; everything
      // it talks to comes from the control plane.
      remote =
          DestinationApiSource.start(
              system, DestinationApiSource.Settings.of(controlPlanes, workload));
      try {
        remote
            .whenReady()
            .toCompletableFuture()
            .get(parseDuration(controlPlaneWait).toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        log.warn(
            "control plane {} has not answered within {}; serving without it until it does",
            controlPlane,
            controlPlaneWait);
      }
      mesh = remote;
    }
    MeshUpdates discovery = mesh;
    ActorDestinations destinations =
        ActorDestinations.start(system, discovery, BalanceSettings.fromConfig(settings));
    Sidecar sidecar;
    try {
      sidecar =
          Sidecar.start(system, self, discovery::current, destinations, proxySettings)
              .toCompletableFuture()
              .join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err("trellis proxy: cannot listen: " + cause.getMessage());
      system.terminate();
      closeSources(local, remote);
      return START_ERROR;
    }
    log.info(
        "proxy for workload {} ready: outbound {}, inbound {}, admin {}, app {}",
        workload,
        hostPort(sidecar.outboundAddress()),
        hostPort(sidecar.inboundAddress()),
        hostPort(sidecar.adminAddress()),
        self.app());

    HoconMeshSource finalLocal = local;
    DestinationApiSource finalRemote = remote;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  sidecar.stop(Duration.ofSeconds(5)).toCompletableFuture().join();
                  system.terminate();
                  system.getWhenTerminated().toCompletableFuture().join();
                  closeSources(finalLocal, finalRemote);
                },
                "trellis-shutdown"));
    system.getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  private static void closeSources(HoconMeshSource local, DestinationApiSource remote) {
    if (remote != null) {
      remote.close();
    }
    local.close();
  }

  private void err(String message) {
    spec.commandLine().getErr().println(message);
    spec.commandLine().getErr().flush();
  }

  private static String hostPort(java.net.InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  private static Duration parseDuration(String text) {
    return ConfigFactory.parseString("d = " + text).getDuration("d");
  }
}
