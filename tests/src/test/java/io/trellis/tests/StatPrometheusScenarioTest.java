package io.trellis.tests;

import io.trellis.actors.metrics.PrometheusConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.PrometheusServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link StatScenario} against a real Prometheus (Debian's package; bin/test installs it, and
 * without it this test fails rather than skips): Prometheus scrapes every proxy each second with
 * the configuration {@code trellis prometheus-config} prints, and the control plane queries it
 * with Linkerd's PromQL.
 */
class StatPrometheusScenarioTest extends StatScenario {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static final List<AutoCloseable> started = new ArrayList<>();
  private static PrometheusServer prometheus;

  @Override
  MeshFixture mesh() {
    return mesh;
  }

  @Override
  String metricsBlock() {
    if (prometheus == null) {
      String config = PrometheusConfig.render(
          MeshConfigLoader.load(mesh.config()), Duration.ofSeconds(1));
      prometheus = PrometheusServer.start(
          config, mesh.config().resolveSibling("prometheus"), mesh.logDir());
      started.add(prometheus);
    }
    return "trellis.metrics { prometheus-url = \"" + prometheus.url() + "\" }";
  }

  @Override
  String expectedSource() {
    return "prometheus " + prometheus.url();
  }

  @Override
  void closeAfter(AutoCloseable resource) {
    started.add(0, resource);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : started) {
      c.close();
    }
  }
}
