package io.trellis.config;

import static io.trellis.config.MeshFiles.assertAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mesh.conf's opaque-ports (workloads, services) and upstreams (workloads): read and checked. */
class OpaqueAndUpstreamsTest {
  @TempDir Path dir;
  MeshFiles files;
  Path conf;

  @BeforeEach
  void setUp() {
    files = new MeshFiles(dir);
    conf = dir.resolve("mesh.conf");
  }

  @Test
  void defaultsAreLinkerdsOpaquePortsAndNoUpstreams() {
    MeshConfig mesh = files.load("""
        trellis.mesh {
          services { web-svc { port = 80 }, cache { port = 6379 } }
          workloads {
            web { address = "127.0.3.1", app-port = 8080, serves = [web-svc] }
            redis { address = "127.0.3.2", app-port = 7000, serves = [cache] }
          }
        }
        """);
    WorkloadConfig web = mesh.workloads().get("web");
    assertEquals(OpaquePorts.DEFAULT, web.opaquePorts());
    assertEquals(Map.of(), web.upstreams());
    assertFalse(mesh.inboundOpaque(web));
    // redis serves cache, whose port 6379 is opaque by default
    assertTrue(mesh.inboundOpaque(mesh.workloads().get("redis")));
  }

  @Test
  void opaquePortsAndUpstreamsAreRead() {
    MeshConfig mesh = files.load("""
        trellis.mesh {
          services { cache { port = 6379, opaque-ports = [] } }
          workloads {
            web {
              address = "127.0.3.1"
              app-port = 8080
              opaque-ports = [8080]
              upstreams { cache = 6379 }
            }
            redis { address = "127.0.3.2", app-port = 6379, serves = [cache], opaque-ports = [] }
          }
        }
        """);
    WorkloadConfig web = mesh.workloads().get("web");
    assertEquals(Set.of(8080), web.opaquePorts());
    assertEquals(Map.of("cache", 6379), web.upstreams());
    assertTrue(mesh.inboundOpaque(web));
    assertFalse(mesh.inboundOpaque(mesh.workloads().get("redis")), "both lists are empty");
  }

  @Test
  void anUpstreamToAnUnknownServiceNamesIt() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { cache { port = 6379 } }
          workloads {
            web {
              address = "127.0.3.1"
              app-port = 8080
              upstreams { cahce = 6379 }
            }
          }
        }
        """);
    assertAt(e, conf, 7, "trellis.mesh.workloads.web.upstreams.cahce");
    assertTrue(e.reason().contains("did you mean `cache`?"), e.reason());
  }

  @Test
  void anUpstreamOnAnotherListenersPortIsRefused() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { cache { port = 6379 } }
          workloads {
            web {
              address = "127.0.3.1"
              app-port = 8080
              upstreams { cache = 4140 }
            }
          }
        }
        """);
    assertEquals("trellis.mesh.workloads.web.upstreams.cache", e.keyPath(), e.getMessage());
    assertTrue(e.reason().contains("127.0.3.1:4140"), e.reason());
  }

  @Test
  void aBadUpstreamPortIsRefused() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { cache { port = 6379 } }
          workloads {
            web { address = "127.0.3.1", app-port = 8080, upstreams { cache = 70000 } }
          }
        }
        """);
    assertAt(e, conf, 4, "trellis.mesh.workloads.web.upstreams.cache");
    assertTrue(e.reason().contains("1..65535"), e.reason());
  }

  @Test
  void opaquePortsMustBeAListOfPorts() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web { address = "127.0.3.1", app-port = 8080, opaque-ports = [5432, 5432] }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.workloads.web.opaque-ports[1]");
    assertTrue(e.reason().contains("listed twice"), e.reason());
    MeshConfigException notAList = files.fail("""
        trellis.mesh {
          services { db { port = 5432, opaque-ports = 5432 } }
        }
        """);
    assertAt(notAList, conf, 2, "trellis.mesh.services.db.opaque-ports");
    assertTrue(notAList.reason().contains("expected a list"), notAList.reason());
  }
}
