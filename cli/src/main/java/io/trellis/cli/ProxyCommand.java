package io.trellis.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.trellis.actors.ControlPlaneSettings;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.WorkloadConfig;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.discovery.MeshUpdates;
import io.trellis.discovery.destination.DestinationApiSource;
import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.CaStore;
import io.trellis.identity.token.WorkloadTokens;
import io.trellis.proxy.ProxySettings;
import io.trellis.proxy.Sidecar;
import io.trellis.proxy.metrics.KamonSetup;
import io.trellis.proxy.metrics.WorkloadLabels;
import io.trellis.proxy.balance.ActorDestinations;
import io.trellis.proxy.balance.BalanceSettings;
import io.trellis.proxy.identity.ProxyIdentity;
import io.trellis.proxy.identity.ProxyIdentitySettings;
import io.trellis.identity.pem.Pem;
import io.trellis.identity.pem.PemException;
import io.trellis.identity.tls.LeafCredentials;
import io.trellis.identity.tls.MeshCredentials;
import io.trellis.identity.trust.TrustBundle;
import java.nio.file.Files;
import java.security.cert.CertificateException;
import java.util.Optional;
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
      "defines this workload; services, endpoints and profiles come from the control plane.",
      "With a control plane the proxy gets its certificate from the control plane's identity",
      "service, with the workload's token from the state directory (see --identity)."
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

  /** {@code --identity}: auto is on with a control plane, off in HOCON mode without a CA. */
  enum IdentityMode { auto, on, off }

  @Option(
      names = "--identity",
      defaultValue = "auto",
      paramLabel = "auto|on|off",
      description =
          "The proxy's certificate from the control plane's identity service (default"
              + " ${DEFAULT-VALUE}: on with --control-plane, or when the state directory beside"
              + " mesh.conf holds a CA; off otherwise; trellis.proxy.identity.enabled = off"
              + " turns auto off). While on, /ready waits for the first certificate.")
  IdentityMode identity;

  @Option(
      names = "--identity-token-file",
      paramLabel = "FILE",
      description = "The workload's token (default: <state-dir>/tokens/<workload>.token).")
  Path identityTokenFile;

  @Option(
      names = "--identity-trust-anchors",
      paramLabel = "FILE",
      description = "The trust bundle, PEM (default: <state-dir>/ca/bundle.crt).")
  Path identityTrustAnchors;
  // Test hook (hidden): the workload's mTLS identity from PEM files instead of the identity
  // service. Used by tests that run real proxy processes; all three together or none.
  @Option(names = "--tls-trust-anchors", hidden = true, paramLabel = "PEM")
  Path tlsTrustAnchors;

  @Option(names = "--tls-cert", hidden = true, paramLabel = "PEM")
  Path tlsCert;

  @Option(names = "--tls-key", hidden = true, paramLabel = "PEM")
  Path tlsKey;

  /** The credentials the test hook names, empty without it; null after reporting an error. */
  private Optional<MeshCredentials> pemCredentials() {
    if (tlsTrustAnchors == null && tlsCert == null && tlsKey == null) {
      return Optional.empty();
    }
    if (tlsTrustAnchors == null || tlsCert == null || tlsKey == null) {
      err("trellis proxy: --tls-trust-anchors, --tls-cert and --tls-key go together");
      return null;
    }
    try {
      MeshCredentials credentials = new MeshCredentials(TrustBundle.read(tlsTrustAnchors));
      credentials.update(
          LeafCredentials.of(Pem.readPrivateKey(tlsKey), Pem.readCertificates(tlsCert)));
      return Optional.of(credentials);
    } catch (PemException | CertificateException e) {
      err("trellis proxy: TLS credentials: " + e.getMessage());
      return null;
    }
  }

  @Override
  public Integer call() throws Exception {
    Optional<MeshCredentials> credentials = pemCredentials();
    if (credentials == null) {
      return CONFIG_ERROR;
    }
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
    ProxyIdentity proxyIdentity;
    try {
      proxyIdentity = credentials.isPresent()
          ? ProxyIdentity.fixed(credentials.get())
          : identity(settings, current, self, controlPlanes);
    } catch (ConfigException | IllegalArgumentException e) {
      err("trellis proxy: " + config + ": " + e.getMessage());
      local.close();
      return CONFIG_ERROR;
    }
    // The metrics' workload labels from the local file: a control plane's mesh may not have
    // arrived yet when the sidecar starts (Kamon keeps the first labels of the JVM).
    KamonSetup.start(
        proxySettings.metricsMinRefresh(), WorkloadLabels.of(current.namespace(), workload));
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
          Sidecar.start(
                  system, self, discovery::current, destinations, proxySettings, proxyIdentity)
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
        "proxy for workload {} ready: outbound {}, inbound {}, admin {}, app {}, {}",
        workload,
        hostPort(sidecar.outboundAddress()),
        hostPort(sidecar.inboundAddress()),
        hostPort(sidecar.adminAddress()),
        self.app(),
        proxyIdentity);

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

  /**
   * The proxy's identity. Its name is the workload's service account in the mesh's namespace,
   * spelled with {@code trellis.control-plane.identity} of mesh.conf; the token and trust bundle
   * come from the state directory beside mesh.conf (as the control plane writes them) unless
   * overridden; the identity service is the control plane: {@code --control-plane}, else
   * {@code trellis.control-plane.destination} of mesh.conf.
   */
  private ProxyIdentity identity(
      Config settings, MeshConfig mesh, WorkloadConfig self, List<HostPort> controlPlanes) {
    Config file = ConfigFactory.parseFile(config.toFile());
    ControlPlaneSettings cp = ControlPlaneSettings.fromConfig(file).withStateDirBeside(config);
    Path stateDir = cp.stateDir();
    boolean enabled =
        switch (identity) {
          case on -> true;
          case off -> false;
          case auto ->
              ProxyIdentitySettings.enabled(settings)
                  && (!controlPlanes.isEmpty()
                      || identityTokenFile != null
                      || Files.isDirectory(CaStore.directory(stateDir)));
        };
    if (!enabled) {
      return ProxyIdentity.disabled(
          identity == IdentityMode.off || !ProxyIdentitySettings.enabled(settings)
              ? "disabled"
              : "no control plane (HOCON mode without a CA in " + stateDir + ")");
    }
    IdentitySettings names =
        IdentitySettings.fromConfig(file.withFallback(settings).resolve())
            .withDomain(cp.identity().controlNamespace(), cp.identity().trustDomain());
    IdentityName name = names.identityOf(self.serviceAccount(), mesh.namespace());
    return ProxyIdentity.of(
        ProxyIdentitySettings.fromConfig(
            settings,
            name,
            identityTokenFile != null
                ? identityTokenFile
                : WorkloadTokens.file(stateDir, workload),
            identityTrustAnchors != null
                ? identityTrustAnchors
                : CaStore.directory(stateDir).resolve(CaStore.BUNDLE_CRT),
            controlPlanes.isEmpty() ? List.of(cp.destination()) : controlPlanes));
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
