package io.trellis.config;

import static io.trellis.config.MeshFiles.assertAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void readsTheFullShape() {
    MeshFiles files = new MeshFiles(dir);
    MeshConfig mesh = files.load("""
        trellis.proxy { anything-goes = here }
        trellis.mesh {
          namespace = demo
          services {
            web-svc { port = 80 }
            legacy  { port = 80, endpoints = ["127.0.0.1:9000", "old.example.com:8080"] }
          }
          workloads {
            web {
              address = "127.0.0.11"
              app-port = 8080
              serves = [web-svc]
            }
            api {
              address = "127.0.0.12"
              app-port = 8080
              service-account = api-sa
              proxy { outbound = "127.0.0.12:5140", inbound = 5143 }
            }
          }
        }
        """);
    assertEquals("demo", mesh.namespace());
    assertEquals(new ServiceConfig("web-svc", 80, List.of()), mesh.services().get("web-svc"));
    assertEquals(
        List.of(new HostPort("127.0.0.1", 9000), new HostPort("old.example.com", 8080)),
        mesh.services().get("legacy").endpoints());
    WorkloadConfig web = mesh.workloads().get("web");
    assertEquals(new WorkloadConfig("web", "127.0.0.11", 8080, List.of("web-svc"), "web",
        ProxyPorts.defaultsFor("127.0.0.11")), web);
    WorkloadConfig api = mesh.workloads().get("api");
    assertEquals("api-sa", api.serviceAccount());
    assertEquals(new ProxyPorts(new HostPort("127.0.0.12", 5140), new HostPort("127.0.0.12", 5143),
        new HostPort("127.0.0.12", 4191)), api.proxy());
    assertEquals(files.write("mesh.conf", "").toString(), mesh.source().toString());
    assertEquals(
        List.of(new Endpoint(new HostPort("127.0.0.11", 4143), "web", "web")),
        mesh.endpointsOf("web-svc"));
  }

  @Test
  void namespaceDefaultsToDefault() {
    MeshConfig mesh = new MeshFiles(dir).load("trellis.mesh {}");
    assertEquals("default", mesh.namespace());
    assertTrue(mesh.services().isEmpty());
  }

  @Test
  void badPortNamesFileLineAndKey() {
    MeshFiles files = new MeshFiles(dir);
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              address = "127.0.0.11"
              app-port = "80a"
            }
          }
        }
        """);
    assertAt(e, dir.resolve("mesh.conf"), 5, "trellis.mesh.workloads.web.app-port");
    assertEquals(dir.resolve("mesh.conf") + ":5: trellis.mesh.workloads.web.app-port:"
        + " expected a port number 1..65535, got \"80a\"", e.getMessage());
  }

  @Test
  void systemPropertiesNeverOverrideTheMesh() {
    System.setProperty("trellis.mesh.namespace", "hijacked");
    try {
      assertEquals("demo", new MeshFiles(dir).load("trellis.mesh { namespace = demo }").namespace());
    } finally {
      System.clearProperty("trellis.mesh.namespace");
    }
  }

  @Test
  void substitutionsWithinTheFileResolve() {
    MeshConfig mesh = new MeshFiles(dir).load("""
        ports { web = 8080 }
        trellis.mesh {
          services { web-svc { port = 80 } }
          workloads { web { address = "127.0.0.11", app-port = ${ports.web}, serves = [web-svc] } }
        }
        """);
    assertEquals(8080, mesh.workloads().get("web").appPort());
  }

  @Test
  void parseReadsTextAndResolvesResourcesBesideOrigin() {
    new MeshFiles(dir).write("split.yaml", """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: s}
        spec: {service: a, backends: [{service: a, weight: 1}]}
        """);
    MeshConfig mesh = MeshConfigLoader.parse(
        "trellis.mesh { services { a { port = 80 } }, resources = [split.yaml] }",
        dir.resolve("inline.conf"));
    assertEquals(1, mesh.splits().size());
    MeshConfigException e = org.junit.jupiter.api.Assertions.assertThrows(MeshConfigException.class,
        () -> MeshConfigLoader.parse("trellis.mesh {\n bogus = 1\n}", Path.of("inline.conf")));
    assertEquals("inline.conf:2: trellis.mesh.bogus: unknown key \"bogus\"; expected one of"
        + " namespace, resources, services, workloads", e.getMessage());
  }

  @Test
  void loadWithFilesListsEverythingToWatch() {
    MeshFiles files = new MeshFiles(dir);
    Path services = files.write("services.conf", "web-svc { port = 80 }\n");
    Path profile = files.write("profiles/web.yaml", """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: web-svc.default.svc.cluster.local}
        spec: {routes: []}
        """);
    Path split = files.write("split.yaml", """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: s}
        spec: {service: web-svc, backends: [{service: web-svc, weight: 1}]}
        """);
    Path conf = files.write("mesh.conf", """
        trellis.mesh {
          services { include "services.conf" }
          resources = [profiles, split.yaml]
        }
        """);
    LoadedMesh loaded = MeshConfigLoader.loadWithFiles(conf);
    assertEquals(1, loaded.mesh().profiles().size());
    assertEquals(
        List.of(conf, services, dir.resolve("profiles"), split, profile).stream()
            .map(p -> p.toAbsolutePath().normalize()).toList(),
        loaded.files());
  }
}
