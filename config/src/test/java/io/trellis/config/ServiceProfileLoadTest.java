package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.ServiceProfile.DstOverride;
import io.trellis.config.ServiceProfile.RetryBudget;
import io.trellis.config.ServiceProfile.Route;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ServiceProfiles load as Linkerd reads them, and their conditions match as its proxy does. */
class ServiceProfileLoadTest {
  @TempDir Path dir;

  private ServiceProfile load(String yaml) {
    MeshFiles files = new MeshFiles(dir);
    files.write("profiles/web.yaml", yaml);
    MeshConfig mesh = files.load("""
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 }, web-canary { port = 80 } }
          resources = ["profiles/web.yaml"]
        }
        """);
    assertEquals(1, mesh.profiles().size());
    return mesh.profiles().get(0);
  }

  @Test
  void fullProfile() {
    ServiceProfile p = load("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.demo.svc.cluster.local
          namespace: demo
        spec:
          routes:
          - name: GET /api/vote
            condition:
              method: GET
              pathRegex: /api/vote
            responseClasses:
            - condition:
                status: {min: 500, max: 599}
              isFailure: true
            - condition:
                status: {min: 404}
              isFailure: true
            isRetryable: true
            timeout: 1m30s
          - name: everything else
            condition:
              not:
                pathRegex: /api/.*
          retryBudget:
            retryRatio: 0.5
            minRetriesPerSecond: 3
            ttl: 30s
          dstOverrides:
          - authority: web-svc.demo.svc.cluster.local:80
            weight: 900m
          - authority: web-canary.demo.svc.cluster.local:80
            weight: 100m
          opaquePorts:
            "3306": true
            "8080": false
        """);
    assertEquals("web-svc.demo.svc.cluster.local", p.name());
    assertEquals("demo", p.namespace());
    Route vote = p.routes().get(0);
    assertEquals("GET /api/vote", vote.name());
    assertEquals(new RequestMatch.All(List.of(
        new RequestMatch.Method("GET"), RequestMatch.PathRegex.of("/api/vote"))), vote.condition());
    assertTrue(vote.retryable());
    assertEquals(Duration.ofSeconds(90), vote.timeout());
    assertTrue(vote.isFailure(503));
    assertTrue(vote.isFailure(404), "only min set matches that one status");
    assertFalse(vote.isFailure(405));
    assertEquals(new RetryBudget(0.5, 3, Duration.ofSeconds(30)), p.retryBudget());
    assertEquals(List.of(
        new DstOverride("web-svc.demo.svc.cluster.local:80", 900),
        new DstOverride("web-canary.demo.svc.cluster.local:80", 100)), p.dstOverrides());
    assertEquals(Set.of(3306), p.opaquePorts());
    assertEquals("everything else", p.routeFor("GET", "/").orElseThrow().name());
    assertEquals("GET /api/vote", p.routeFor("GET", "/api/vote?choice=:joy:").orElseThrow().name());
    assertTrue(p.routeFor("GET", "/api/list").isEmpty());
  }

  @Test
  void defaultsWhenUnset() {
    ServiceProfile p = load("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: web-svc.demo.svc.cluster.local}
        spec:
          routes:
          - name: list
            condition: {pathRegex: /api/list}
        """);
    assertEquals(RetryBudget.DEFAULT, p.retryBudget());
    assertEquals(new RetryBudget(0.2, 10, Duration.ofSeconds(10)), p.retryBudget());
    Route list = p.routes().get(0);
    assertFalse(list.retryable());
    assertNull(list.timeout());
    assertTrue(list.isFailure(500), "without response classes 5xx is a failure");
    assertFalse(list.isFailure(404));
  }

  @Test
  void pathRegexIsAnchoredToTheWholePathAsInLinkerd() {
    RequestMatch m = RequestMatch.PathRegex.of("/api/list");
    assertTrue(m.matches("GET", "/api/list"));
    assertFalse(m.matches("GET", "/api/list/1"));
    assertFalse(m.matches("GET", "/v2/api/list"));
    assertTrue(RequestMatch.PathRegex.of("^/api/.*$").matches("GET", "/api/x"));
    assertTrue(RequestMatch.PathRegex.of("/api/.*").matches("GET", "/api/x?y=1"));
  }

  @Test
  void conditionsCombine() {
    RequestMatch m = new RequestMatch.Any(List.of(
        new RequestMatch.All(List.of(new RequestMatch.Method("post"), RequestMatch.PathRegex.of("/a"))),
        new RequestMatch.Not(new RequestMatch.Method("GET"))));
    assertTrue(m.matches("POST", "/a"));
    assertTrue(m.matches("DELETE", "/b"));
    assertFalse(m.matches("GET", "/a"));

    ResponseMatch r = new ResponseMatch.All(List.of(
        new ResponseMatch.Status(500, 599), new ResponseMatch.Not(new ResponseMatch.Status(503, 503))));
    assertTrue(r.matches(500));
    assertFalse(r.matches(503));
    assertTrue(new ResponseMatch.Any(List.of(new ResponseMatch.Status(404, 404))).matches(404));
  }

  @Test
  void zeroTimeoutMeansNone() {
    ServiceProfile p = load("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: web-svc.demo.svc.cluster.local}
        spec:
          routes:
          - {name: list, condition: {method: GET}, timeout: "0"}
        """);
    assertNull(p.routes().get(0).timeout());
  }

  @Test
  void multiDocumentFileAndEmptyDocuments() {
    MeshFiles files = new MeshFiles(dir);
    files.write("all.yaml", """
        ---
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: web-svc.demo.svc.cluster.local}
        spec: {routes: []}
        ---
        ---
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web-split}
        spec:
          service: web-svc
          backends: [{service: web-svc, weight: 9}, {service: web-canary, weight: 1}]
        """);
    MeshConfig mesh = files.load("""
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 }, web-canary { port = 80 } }
          resources = [all.yaml]
        }
        """);
    assertEquals(1, mesh.profiles().size());
    assertEquals(1, mesh.splits().size());
  }

  @Test
  void yaml11Booleans() {
    ServiceProfile p = load("""
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: web-svc.demo.svc.cluster.local}
        spec:
          routes:
          - {name: a, condition: {method: GET}, isRetryable: yes}
          - {name: b, condition: {method: GET}, isRetryable: Off}
        """);
    assertTrue(p.routes().get(0).retryable());
    assertFalse(p.routes().get(1).retryable());
  }
}
