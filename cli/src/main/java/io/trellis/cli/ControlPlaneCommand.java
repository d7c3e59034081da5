package io.trellis.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.trellis.actors.ControlPlane;
import io.trellis.actors.ControlPlaneSettings;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfigLoader;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.CaLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis control-plane}: runs one control-plane node in the foreground. */
@Command(
    name = "control-plane",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a control-plane node in the foreground: the destination and identity APIs (gRPC,",
      "default 127.0.0.1:8086) for proxies, from mesh.conf (watched for edits). The CA and the",
      "workload tokens live in the state directory (.trellis beside mesh.conf; created with a",
      "new CA on first start). Several nodes, sharing one state directory, form a",
      "Pekko Cluster (seed nodes) and share the services between them; any node serves any",
      "service. Settings: the trellis.control-plane block of mesh.conf; options override it."
    })
final class ControlPlaneCommand implements Callable<Integer> {
  static final int CONFIG_ERROR = 2;
  static final int START_ERROR = 1;
  private static final Logger log = LoggerFactory.getLogger(ControlPlaneCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "mesh.conf")
  Path config;

  @Option(
      names = "--destination",
      paramLabel = "HOST:PORT",
      description = "Where the destination API listens (default: mesh.conf, else 127.0.0.1:8086).")
  String destination;

  @Option(
      names = "--node-port",
      paramLabel = "PORT",
      description = "This node's cluster (artery) port on its cluster host (default 25520).")
  Integer nodePort;

  @Option(
      names = "--seed",
      paramLabel = "HOST:PORT",
      split = ",",
      description = "A seed node's cluster address; repeat or separate with commas. None: this "
          + "node forms its own cluster.")
  List<String> seeds = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(config)) {
      err("trellis control-plane: " + config + ": no such file");
      return CONFIG_ERROR;
    }
    ControlPlaneSettings settings;
    IdentitySettings identity;
    try {
      settings = settings();
      identity = IdentitySettings.fromConfig(
          ConfigFactory.parseFile(config.toFile()).withFallback(ConfigFactory.load()).resolve());
    } catch (ConfigException | IllegalArgumentException e) {
      err("trellis control-plane: " + config + ": " + e.getMessage());
      return CONFIG_ERROR;
    }
    HoconMeshSource mesh;
    try {
      mesh = HoconMeshSource.start(config, settings.meshPollInterval(), MeshConfigLoader::load);
    } catch (RuntimeException e) {
      err("trellis control-plane: " + e.getMessage()); // names file, line and key
      return CONFIG_ERROR;
    }
    ControlPlane node;
    try {
      node = ControlPlane.start(ControlPlane.SYSTEM_NAME, settings, mesh, identity, Clock.systemUTC())
          .toCompletableFuture().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err("trellis control-plane: " + cause.getMessage());
      mesh.close();
      // A CA in the state directory that does not load is a configuration error: the message
      // names the file and why.
      return cause.getCause() instanceof CaLoadException ? CONFIG_ERROR : START_ERROR;
    }
    log.info(
        "control plane ready: destination API on {}:{}, cluster node {}, seeds {}, {} services,"
            + " identity API on the same port (state directory {})",
        node.destinationAddress().getHostString(),
        node.destinationAddress().getPort(),
        settings.node(),
        settings.seedNodes().isEmpty() ? "[this node]" : settings.seedNodes(),
        mesh.current().services().size(),
        settings.stateDir());

    // Ctrl-C: coordinated shutdown ends the streams (proxies move to other nodes), leaves the
    // cluster (entities hand over) and stops.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.stop().toCompletableFuture().join();
      mesh.close();
    }, "trellis-shutdown"));
    node.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  private ControlPlaneSettings settings() {
    ControlPlaneSettings s = ControlPlaneSettings.fromConfig(ConfigFactory.parseFile(config.toFile()))
        .withStateDirBeside(config);
    if (destination != null) {
      s = s.withDestination(ControlPlaneSettings.parse(destination, "--destination"));
    }
    if (nodePort != null) {
      s = s.withNode(new HostPort(s.node().host(), nodePort));
    }
    if (!seeds.isEmpty()) {
      List<HostPort> parsed = new ArrayList<>();
      for (String seed : seeds) {
        parsed.add(ControlPlaneSettings.parse(seed.trim(), "--seed"));
      }
      s = s.withSeedNodes(parsed);
    }
    return s;
  }

  private void err(String message) {
    spec.commandLine().getErr().println(message);
    spec.commandLine().getErr().flush();
  }
}
