package io.trellis.cli;

import io.trellis.actors.metrics.PrometheusConfig;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigException;
import io.trellis.config.MeshConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis prometheus-config}: a prometheus.yml that scrapes every proxy of the mesh. */
@Command(
    name = "prometheus-config",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a Prometheus configuration (prometheus.yml) with every workload proxy's admin",
      "/metrics as a target, labelled with its namespace and deployment. Run Prometheus with it",
      "and set trellis.metrics.prometheus-url for `trellis stat` to query it."
    })
final class PrometheusConfigCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "mesh.conf")
  Path config;

  @Option(names = "--scrape-interval", paramLabel = "SECONDS",
      description = "How often Prometheus scrapes, in seconds (default 10).")
  int scrapeSeconds = 10;

  @Override
  public Integer call() {
    if (!Files.isRegularFile(config)) {
      return error(config + ": no such file");
    }
    if (scrapeSeconds < 1) {
      return error("--scrape-interval " + scrapeSeconds + ": must be at least 1");
    }
    MeshConfig mesh;
    try {
      mesh = MeshConfigLoader.load(config);
    } catch (MeshConfigException e) {
      return error(e.getMessage());
    }
    spec.commandLine().getOut().print(
        PrometheusConfig.render(mesh, Duration.ofSeconds(scrapeSeconds)));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private int error(String message) {
    spec.commandLine().getErr().println("trellis prometheus-config: " + message);
    spec.commandLine().getErr().flush();
    return 2;
  }
}
