package io.trellis.config;

import static io.trellis.config.MeshFiles.assertAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Header routing rules and fault injection in mesh.conf and ServiceProfiles, and all-zero split
 * weights (accepted: the apex keeps its traffic); bad input names file, line and key.
 */
class RoutingAndFaultsConfigTest {
  @TempDir Path dir;
  MeshFiles files;

  @BeforeEach
  void setUp() {
    files = new MeshFiles(dir);
  }

  private static String mesh(String webSvc) {
    return "trellis.mesh {\n"
        + "  namespace = demo\n"
        + "  services {\n"
        + "    web-svc " + webSvc + "\n"
        + "    web-canary { port = 80 }\n"
        + "  }\n"
        + "}\n";
  }

  @Test
  void headerRulesLoadInOrder() {
    ServiceConfig s = files.load(mesh("""
        {
              port = 80
              routing = [
                { match { headers { x-canary = "true" } }, backend = web-canary }
                { match { headers { X-User = { regex = "alice|bob" }, x-env = { exact = qa } } }, backend = web-svc }
              ]
            }""")).services().get("web-svc");
    assertEquals(2, s.routing().size());
    HeaderRoute canary = s.routing().get(0);
    assertEquals("web-canary", canary.backend());
    assertTrue(canary.matches(Map.of("x-canary", "true")::get));
    assertFalse(canary.matches(Map.of("x-canary", "false")::get));
    assertFalse(canary.matches(Map.<String, String>of()::get));
    HeaderRoute users = s.routing().get(1);
    assertTrue(users.matches(Map.of("x-user", "bob", "x-env", "qa")::get));
    // the regex matches the whole value, and every header of a rule must match
    assertFalse(users.matches(Map.of("x-user", "bobby", "x-env", "qa")::get));
    assertFalse(users.matches(Map.of("x-user", "bob")::get));
  }

  @Test
  void unknownBackendNamesTheLine() {
    MeshConfigException e = files.fail(mesh("""
        {
              port = 80
              routing = [ { match { headers { x-canary = "true" } }, backend = web-canery } ]
            }"""));
    assertAt(e, dir.resolve("mesh.conf"), 6, "trellis.mesh.services.web-svc.routing[0].backend");
    assertTrue(e.reason().contains("did you mean `web-canary`"), e.getMessage());
  }

  @Test
  void badRegexAndEmptyMatchAreRefused() {
    MeshConfigException regex = files.fail(mesh("""
        {
              port = 80
              routing = [ { match { headers { x-user = { regex = "(" } } }, backend = web-canary } ]
            }"""));
    assertEquals("trellis.mesh.services.web-svc.routing[0].match.headers.x-user.regex",
        regex.keyPath());
    assertTrue(regex.reason().contains("not a regular expression"), regex.getMessage());
    MeshConfigException empty = files.fail(mesh("""
        { port = 80, routing = [ { match { headers {} }, backend = web-canary } ] }"""));
    assertTrue(empty.reason().contains("at least one header"), empty.getMessage());
  }

  @Test
  void faultsByRouteName() {
    ServiceConfig s = files.load(mesh("""
        {
              port = 80
              faults {
                "GET /api/list" { abort { percent = 10, status = 503 }, delay { percent = 5, duration = 200ms } }
                "[DEFAULT]" { abort { percent = 100, status = 500, grpc-status = 13 } }
              }
            }""")).services().get("web-svc");
    Fault list = s.faults().get("GET /api/list");
    assertEquals(new Fault.Abort(10, 503, 14), list.abort());
    assertEquals(new Fault.Delay(5, Duration.ofMillis(200)), list.delay());
    assertEquals(new Fault.Abort(100, 500, 13), s.faults().get("[DEFAULT]").abort());
    assertNull(s.faults().get("[DEFAULT]").delay());
  }

  @Test
  void badFaultsNameTheKey() {
    MeshConfigException percent = files.fail(mesh("""
        { port = 80, faults { "[DEFAULT]" { abort { percent = 110, status = 503 } } } }"""));
    assertEquals("trellis.mesh.services.web-svc.faults.[DEFAULT].abort.percent",
        percent.keyPath());
    MeshConfigException status = files.fail(mesh("""
        { port = 80, faults { a { abort { percent = 1, status = 42 } } } }"""));
    assertTrue(status.reason().contains("100..599"), status.getMessage());
    MeshConfigException none = files.fail(mesh("""
        { port = 80, faults { a {} } }"""));
    assertTrue(none.reason().contains("abort or delay"), none.getMessage());
  }

  @Test
  void profileRouteFaultExtension() {
    files.write("sp.yaml", """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.demo.svc.cluster.local
          namespace: demo
        spec:
          routes:
          - name: GET /api/list
            condition: {method: GET, pathRegex: /api/list}
            x-trellis-fault:
              abort: {percent: 10, status: 503, grpcStatus: 8}
              delay: {percent: 5, duration: 200ms}
        """);
    MeshConfig m = files.load(mesh("{ port = 80 }").replace("}\n}\n", "}\n  resources = [\"sp.yaml\"]\n}\n"));
    Fault f = m.profileOf("web-svc").orElseThrow().routes().get(0).fault();
    assertEquals(new Fault(new Fault.Abort(10, 503, 8), new Fault.Delay(5, Duration.ofMillis(200))), f);
  }

  @Test
  void profileFaultErrorsNameTheField() {
    files.write("sp.yaml", """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.demo.svc.cluster.local
          namespace: demo
        spec:
          routes:
          - name: GET /api/list
            condition: {method: GET}
            x-trellis-fault:
              delay: {percent: 5, duration: soon}
        """);
    MeshConfigException e = files.fail(
        mesh("{ port = 80 }").replace("}\n}\n", "}\n  resources = [\"sp.yaml\"]\n}\n"));
    assertAt(e, dir.resolve("sp.yaml"), 11, "spec.routes[0].x-trellis-fault.delay.duration");
  }

  @Test
  void allZeroSplitLoads() {
    files.write("ts.yaml", """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata:
          name: web-split
        spec:
          service: web-svc
          backends:
          - {service: web-svc, weight: 0}
          - {service: web-canary, weight: 0}
        """);
    MeshConfig m = files.load(
        mesh("{ port = 80 }").replace("}\n}\n", "}\n  resources = [\"ts.yaml\"]\n}\n"));
    assertEquals(0, m.splitOf("web-svc").orElseThrow().totalWeightMilli());
    assertEquals(List.of("web-svc", "web-canary"),
        m.splitOf("web-svc").orElseThrow().backends().stream()
            .map(TrafficSplit.Backend::service).toList());
  }
}
