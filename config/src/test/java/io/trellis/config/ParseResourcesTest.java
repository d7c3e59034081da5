package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** YAML that mesh.conf does not list ({@code trellis apply}), read with the resource loaders. */
class ParseResourcesTest {
  @TempDir Path dir;

  private MeshConfig mesh() {
    return new MeshFiles(dir).load("""
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 }, web-canary { port = 80 } }
        }
        """);
  }

  private static final String TWO_DOCS = """
      # a comment before
      apiVersion: linkerd.io/v1alpha2
      kind: ServiceProfile
      metadata:
        name: web-svc.demo.svc.cluster.local
      spec:
        routes:
        - name: GET /api/list
          condition: {method: GET, pathRegex: /api/list}
      ---
      apiVersion: split.smi-spec.io/v1alpha2
      kind: TrafficSplit
      metadata: {name: web-split}
      spec:
        service: web-svc
        backends:
        - {service: web-svc, weight: 90}
        - {service: web-canary, weight: 10}
      """;

  @Test
  void multiDocumentTextGivesEachDocumentWithItsText() {
    List<ResourceDocument> docs =
        MeshConfigLoader.parseResources(TWO_DOCS, Path.of("in.yaml"), mesh());
    assertEquals(2, docs.size());
    ResourceDocument sp = docs.get(0);
    assertEquals(ResourceDocument.Kind.SERVICE_PROFILE, sp.kind());
    assertEquals("web-svc.demo.svc.cluster.local", sp.name());
    assertEquals("demo", sp.namespace());
    assertEquals(2, sp.line());
    assertNull(sp.split());
    assertEquals(1, sp.profile().routes().size());
    assertEquals("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.demo.svc.cluster.local
        spec:
          routes:
          - name: GET /api/list
            condition: {method: GET, pathRegex: /api/list}
        """, sp.yaml());
    ResourceDocument ts = docs.get(1);
    assertEquals(ResourceDocument.Kind.TRAFFIC_SPLIT, ts.kind());
    assertEquals("web-split", ts.name());
    assertEquals(11, ts.line());
    assertEquals(90_000, ts.split().backends().get(0).weightMilli());
    // The stored text reads back to the same resource.
    assertEquals(ts.split(),
        MeshConfigLoader.parseResources(ts.yaml(), Path.of("x"), mesh()).get(0).split());
  }

  @Test
  void errorsNameTheOriginLineAndKey() {
    MeshConfigException e = assertThrows(MeshConfigException.class, () ->
        MeshConfigLoader.parseResources("""
            apiVersion: split.smi-spec.io/v1alpha2
            kind: TrafficSplit
            metadata: {name: web-split}
            spec:
              service: web-svc
              backends:
              - {service: nope-svc, weight: 90}
            """, Path.of("split.yaml"), mesh()));
    MeshFiles.assertAt(e, Path.of("split.yaml"), 7, "spec.backends[0].service");
  }

  @Test
  void twoProfilesForOneServiceFail() {
    String sp = """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: web-svc.demo.svc.cluster.local}
        spec: {routes: []}
        """;
    MeshConfigException e = assertThrows(MeshConfigException.class, () ->
        MeshConfigLoader.parseResources(sp + "---\n" + sp, Path.of("sp.yaml"), mesh()));
    assertEquals(8, e.line(), e.getMessage());
  }

  @Test
  void kindsParseAsUsersTypeThem() {
    assertEquals(ResourceDocument.Kind.SERVICE_PROFILE, ResourceDocument.Kind.parse("sp").get());
    assertEquals(ResourceDocument.Kind.TRAFFIC_SPLIT,
        ResourceDocument.Kind.parse("TrafficSplits").get());
    assertEquals(true, ResourceDocument.Kind.parse("pods").isEmpty());
  }
}
