package io.trellis.config;

import static io.trellis.config.MeshFiles.assertAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per kind of bad ServiceProfile or TrafficSplit: each names the YAML file, its line
 * and the field path.
 */
class ResourceErrorsTest {
  private static final String MESH = """
      trellis.mesh {
        namespace = demo
        services {
          web-svc { port = 80 }
          web-canary { port = 80 }
        }
        resources = ["res.yaml"]
      }
      """;

  @TempDir Path dir;
  MeshFiles files;
  Path yaml;

  @BeforeEach
  void setUp() {
    files = new MeshFiles(dir);
    yaml = dir.resolve("res.yaml");
  }

  private MeshConfigException fail(String resource) {
    files.write("res.yaml", resource);
    Path conf = files.write("mesh.conf", MESH);
    return assertThrows(MeshConfigException.class, () -> MeshConfigLoader.load(conf));
  }

  private static void assertReason(MeshConfigException e, String fragment) {
    assertTrue(e.reason().contains(fragment), () -> "expected \"" + fragment + "\" in: " + e.getMessage());
  }

  private static final String PROFILE_HEAD = """
      apiVersion: linkerd.io/v1alpha2
      kind: ServiceProfile
      metadata:
        name: web-svc.demo.svc.cluster.local
        namespace: demo
      """;

  private static final String SPLIT_HEAD = """
      apiVersion: split.smi-spec.io/v1alpha1
      kind: TrafficSplit
      metadata:
        name: web-split
      """;

  @Test
  void malformedYamlReportsSnakeyamlsLine() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: a
            condition: {method: GET
          - name: b
        """);
    assertEquals(yaml, e.file());
    // snakeyaml notices at the next item; its context names the flow mapping's line.
    assertEquals(10, e.line(), e.getMessage());
    assertReason(e, "malformed YAML: while parsing a flow mapping (from line 9): expected ',' or '}'");
  }

  @Test
  void unknownKind() {
    MeshConfigException e = fail("""
        apiVersion: v1
        kind: Service
        metadata: {name: web-svc}
        """);
    assertAt(e, yaml, 2, "kind");
    assertEquals("unsupported kind \"Service\"; expected ServiceProfile or TrafficSplit", e.reason());
  }

  @Test
  void unknownApiVersion() {
    MeshConfigException e = fail("""
        apiVersion: linkerd.io/v1alpha1
        kind: ServiceProfile
        metadata: {name: web-svc.demo.svc.cluster.local}
        spec: {routes: []}
        """);
    assertAt(e, yaml, 1, "apiVersion");
    assertReason(e, "expected linkerd.io/v1alpha2");
  }

  @Test
  void typoInsideSpecSuggestsTheField() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition:
              method: GET
              pathRegx: /api/list
        """);
    assertAt(e, yaml, 11, "spec.routes[0].condition.pathRegx");
    assertEquals("unknown key \"pathRegx\"; did you mean `pathRegex`?", e.reason());
  }

  @Test
  void unknownMetadataFieldsAreIgnored() {
    files.write("res.yaml", """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.demo.svc.cluster.local
          namespace: demo
          labels: {app: web}
          annotations: {note: "kept by kubectl"}
          creationTimestamp: null
        spec:
          routes: []
        status: {}
        """);
    MeshConfig mesh = MeshConfigLoader.load(files.write("mesh.conf", MESH));
    assertEquals(1, mesh.profiles().size());
  }

  @Test
  void wrongTypeInYaml() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition: {method: GET}
            isRetryable: "yes"
        """);
    assertAt(e, yaml, 10, "spec.routes[0].isRetryable");
    assertReason(e, "expected true or false");
  }

  @Test
  void missingRouteCondition() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
        """);
    assertAt(e, yaml, 8, "spec.routes[0].condition");
  }

  @Test
  void emptyConditionIsRejectedAsLinkerdDoes() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition: {}
        """);
    assertAt(e, yaml, 9, "spec.routes[0].condition");
    assertReason(e, "needs at least one of");
  }

  @Test
  void badPathRegex() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition:
              any:
              - pathRegex: /api/list
              - pathRegex: /api/(vote
        """);
    assertAt(e, yaml, 12, "spec.routes[0].condition.any[1].pathRegex");
    assertEquals("bad regular expression \"/api/(vote\": Unclosed group near index 10", e.reason());
  }

  @Test
  void badTimeout() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition: {method: GET}
            timeout: 10 seconds
        """);
    assertAt(e, yaml, 10, "spec.routes[0].timeout");
    assertReason(e, "expected a duration such as \"300ms\"");
  }

  @Test
  void timeoutWithoutUnit() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition: {method: GET}
            timeout: 300
        """);
    assertAt(e, yaml, 10, "spec.routes[0].timeout");
  }

  @Test
  void badTtl() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes: []
          retryBudget:
            retryRatio: 0.2
            minRetriesPerSecond: 10
            ttl: 10sec
        """);
    assertAt(e, yaml, 11, "spec.retryBudget.ttl");
  }

  @Test
  void ttlOutsideWhatTheProxyAccepts() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          retryBudget: {ttl: 2m}
        """);
    assertAt(e, yaml, 7, "spec.retryBudget.ttl");
    assertReason(e, "from 1s to 60s");
  }

  @Test
  void statusOutOfRange() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition: {method: GET}
            responseClasses:
            - condition:
                status: {min: 500, max: 600}
              isFailure: true
        """);
    assertAt(e, yaml, 12, "spec.routes[0].responseClasses[0].condition.status.max");
  }

  @Test
  void profileNameMustBeAServiceFqdn() {
    MeshConfigException e = fail("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc
        spec: {routes: []}
        """);
    assertAt(e, yaml, 4, "metadata.name");
    assertReason(e, "<service>.demo.svc.cluster.local");
  }

  @Test
  void profileForAnUnknownService() {
    MeshConfigException e = fail("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-scv.demo.svc.cluster.local
        spec: {routes: []}
        """);
    assertAt(e, yaml, 4, "metadata.name");
    assertReason(e, "unknown service \"web-scv\"; did you mean `web-svc`?");
  }

  @Test
  void profileInAnotherNamespace() {
    MeshConfigException e = fail("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.other.svc.cluster.local
          namespace: other
        spec: {routes: []}
        """);
    assertAt(e, yaml, 5, "metadata.namespace");
  }

  @Test
  void twoProfilesForOneService() {
    MeshConfigException e = fail(PROFILE_HEAD + "spec: {routes: []}\n---\n" + PROFILE_HEAD
        + "spec: {routes: []}\n");
    assertAt(e, yaml, 11, "metadata.name");
    assertReason(e, "already has a ServiceProfile (res.yaml:4)");
  }

  @Test
  void splitOfAnUnknownService() {
    MeshConfigException e = fail(SPLIT_HEAD + """
        spec:
          service: web
          backends:
          - {service: web-svc, weight: 1}
        """);
    assertAt(e, yaml, 6, "spec.service");
    assertReason(e, "unknown service \"web\"");
  }

  @Test
  void splitToAnUnknownBackend() {
    MeshConfigException e = fail(SPLIT_HEAD + """
        spec:
          service: web-svc
          backends:
          - service: web-svc
            weight: 900m
          - service: web-canery
            weight: 100m
        """);
    assertAt(e, yaml, 10, "spec.backends[1].service");
    assertReason(e, "did you mean `web-canary`?");
  }

  @Test
  void negativeWeight() {
    MeshConfigException e = fail(SPLIT_HEAD + """
        spec:
          service: web-svc
          backends:
          - service: web-svc
            weight: -100m
        """);
    assertAt(e, yaml, 9, "spec.backends[0].weight");
    assertReason(e, "must not be negative");
  }

  @Test
  void negativeIntegerWeightInV1alpha2() {
    MeshConfigException e = fail("""
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web-split}
        spec:
          service: web-svc
          backends:
          - service: web-svc
            weight: -1
        """);
    assertAt(e, yaml, 8, "spec.backends[0].weight");
  }

  @Test
  void quantityWeightInV1alpha2IsAWrongType() {
    MeshConfigException e = fail("""
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web-split}
        spec:
          service: web-svc
          backends:
          - service: web-svc
            weight: 900m
        """);
    assertAt(e, yaml, 8, "spec.backends[0].weight");
    assertReason(e, "expected an integer");
  }

  @Test
  void badQuantity() {
    MeshConfigException e = fail(SPLIT_HEAD + """
        spec:
          service: web-svc
          backends:
          - {service: web-svc, weight: 90%}
        """);
    assertAt(e, yaml, 8, "spec.backends[0].weight");
    assertReason(e, "expected a quantity");
  }

  @Test
  void twoSplitsForOneService() {
    MeshConfigException e = fail(SPLIT_HEAD + """
        spec:
          service: web-svc
          backends: [{service: web-svc, weight: 1}]
        ---
        """ + SPLIT_HEAD + """
        spec:
          service: web-svc
          backends: [{service: web-canary, weight: 1}]
        """);
    assertAt(e, yaml, 14, "spec.service");
    assertReason(e, "already has a TrafficSplit (res.yaml:6)");
  }

  @Test
  void duplicateYamlKey() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes: []
          routes: []
        """);
    assertAt(e, yaml, 8, "spec.routes");
    assertReason(e, "duplicate key; first set on line 7");
  }

  @Test
  void missingKind() {
    MeshConfigException e = fail("""
        apiVersion: linkerd.io/v1alpha2
        metadata: {name: web-svc.demo.svc.cluster.local}
        """);
    assertAt(e, yaml, 1, "kind");
    assertReason(e, "missing");
  }

  @Test
  void dstOverrideToAnUnknownServiceOfTheMesh() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          dstOverrides:
          - authority: web-svc.demo.svc.cluster.local:80
            weight: 900m
          - authority: web-canery.demo.svc.cluster.local:80
            weight: 100m
        """);
    assertAt(e, yaml, 10, "spec.dstOverrides[1].authority");
    assertReason(e, "did you mean `web-canary`?");
  }

  @Test
  void dstOverrideOnTheWrongPort() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          dstOverrides:
          - {authority: "web-canary:8080", weight: 1}
        """);
    assertAt(e, yaml, 8, "spec.dstOverrides[0].authority");
    assertReason(e, "listens on port 80");
  }

  @Test
  void dstOverrideOutsideTheMeshIsEgress() {
    files.write("res.yaml", PROFILE_HEAD + """
        spec:
          dstOverrides:
          - {authority: "web-svc.other.svc.cluster.local:80", weight: 1}
          - {authority: "example.com:443", weight: 1}
        """);
    MeshConfig mesh = MeshConfigLoader.load(files.write("mesh.conf", MESH));
    assertEquals(2, mesh.profiles().get(0).dstOverrides().size());
  }

  @Test
  void resourceListedTwice() {
    files.write("res.yaml", PROFILE_HEAD + "spec: {routes: []}\n");
    MeshConfigException e = files.fail("""
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 } }
          resources = [res.yaml, "./res.yaml"]
        }
        """);
    assertAt(e, dir.resolve("mesh.conf"), 4, "trellis.mesh.resources[1]");
    assertReason(e, "already listed by trellis.mesh.resources[0]");
  }

  @Test
  void directoryOfResourcesNamesEachFileInErrors() {
    files.write("profiles/a.yaml", PROFILE_HEAD + "spec: {routes: []}\n");
    files.write("profiles/b.yml", SPLIT_HEAD + "spec: {service: web-svc, backends: []}\n");
    files.write("profiles/README.md", "not yaml: [");
    MeshConfigException e = files.fail("""
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 } }
          resources = [profiles]
        }
        """);
    assertAt(e, dir.resolve("profiles/b.yml"), 5, "spec.backends");
    assertReason(e, "at least one backend");
  }

  @Test
  void splitMatchesAreRefusedNotIgnored() {
    MeshConfigException e = fail("""
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web-split}
        spec:
          service: web-svc
          matches:
          - {kind: HTTPRouteGroup, name: canary-routes}
          backends: [{service: web-svc, weight: 1}]
        """);
    assertAt(e, yaml, 7, "spec.matches");
    assertReason(e, "not supported");
  }

  @Test
  void aDocumentThatIsNotAMapping() {
    MeshConfigException e = fail(PROFILE_HEAD + "spec: {routes: []}\n---\n- just\n- a list\n");
    assertAt(e, yaml, 8, "");
    assertReason(e, "expected a mapping");
  }

  @Test
  void badOpaquePort() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          opaquePorts:
            "3306": true
            "99999": true
        """);
    assertAt(e, yaml, 9, "spec.opaquePorts.99999");
  }

  @Test
  void statusWithNeitherMinNorMax() {
    MeshConfigException e = fail(PROFILE_HEAD + """
        spec:
          routes:
          - name: list
            condition: {method: GET}
            responseClasses:
            - condition: {status: {}}
        """);
    assertAt(e, yaml, 11, "spec.routes[0].responseClasses[0].condition.status");
    assertReason(e, "needs min, max or both");
  }
}
