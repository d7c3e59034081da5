package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.TrafficSplit.Backend;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TrafficSplit weights, as quantities (v1alpha1) or integers (v1alpha2), in thousandths. */
class TrafficSplitLoadTest {
  @TempDir Path dir;

  private TrafficSplit load(String yaml) {
    MeshFiles files = new MeshFiles(dir);
    files.write("split.yaml", yaml);
    MeshConfig mesh = files.load("""
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 }, web-canary { port = 80 } }
          resources = ["split.yaml"]
        }
        """);
    return mesh.splits().get(0);
  }

  @Test
  void v1alpha1Quantities() {
    TrafficSplit s = load("""
        apiVersion: split.smi-spec.io/v1alpha1
        kind: TrafficSplit
        metadata: {name: web-split, namespace: demo}
        spec:
          service: web-svc
          backends:
          - service: web-svc
            weight: 900m
          - service: web-canary
            weight: 1
        """);
    assertEquals(new TrafficSplit("web-split", "demo", "web-svc",
        List.of(new Backend("web-svc", 900), new Backend("web-canary", 1000))), s);
    assertEquals(1900, s.totalWeightMilli());
  }

  @Test
  void v1alpha2Integers() {
    TrafficSplit s = load("""
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web-split}
        spec:
          service: web-svc
          backends:
          - {service: web-svc, weight: 90}
          - {service: web-canary, weight: 0}
        """);
    assertEquals(List.of(new Backend("web-svc", 90_000), new Backend("web-canary", 0)), s.backends());
    assertEquals("demo", s.namespace(), "namespace defaults to the mesh's");
  }
}
