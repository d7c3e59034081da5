package io.trellis.tests;

import io.trellis.tests.mesh.MeshFixture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link StatScenario} without Prometheus: the control plane scrapes the proxies itself (every
 * second here) and answers from its rolling windows.
 */
class StatRollingWindowsScenarioTest extends StatScenario {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static final List<AutoCloseable> started = new ArrayList<>();

  @Override
  MeshFixture mesh() {
    return mesh;
  }

  @Override
  String metricsBlock() {
    return "trellis.metrics { scrape-interval = 1s }";
  }

  @Override
  String expectedSource() {
    return "rolling windows";
  }

  @Override
  void closeAfter(AutoCloseable resource) {
    started.add(resource);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : started) {
      c.close();
    }
  }
}
