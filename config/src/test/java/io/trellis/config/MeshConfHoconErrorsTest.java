package io.trellis.config;

import static io.trellis.config.MeshFiles.assertAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per kind of bad mesh.conf: each names the file, the line and the key path. */
class MeshConfHoconErrorsTest {
  @TempDir Path dir;
  MeshFiles files;
  Path conf;

  @BeforeEach
  void setUp() {
    files = new MeshFiles(dir);
    conf = dir.resolve("mesh.conf");
  }

  private static void assertReason(MeshConfigException e, String fragment) {
    assertTrue(e.reason().contains(fragment), () -> "expected \"" + fragment + "\" in: " + e.getMessage());
  }

  @Test
  void typoInAKeySuggestsTheKnownKey() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              address = "127.0.0.11"
              app-prot = 8080
            }
          }
        }
        """);
    assertAt(e, conf, 5, "trellis.mesh.workloads.web.app-prot");
    assertEquals("unknown key \"app-prot\"; did you mean `app-port`?", e.reason());
  }

  @Test
  void unknownKeyFarFromAnyListsTheKnownKeys() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { web-svc { port = 80, colour = blue } }
        }
        """);
    assertAt(e, conf, 2, "trellis.mesh.services.web-svc.colour");
    assertReason(e, "expected one of endpoints, failure-accrual, faults, opaque-ports, port, routing");
  }

  @Test
  void typoAtTheTopOfTheMeshBlock() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          namespace = demo
          workload { }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.workload");
    assertReason(e, "did you mean `workloads`?");
  }

  @Test
  void wrongTypeForServes() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { web-svc { port = 80 } }
          workloads {
            web { address = "127.0.0.11", app-port = 8080, serves = web-svc }
          }
        }
        """);
    assertAt(e, conf, 4, "trellis.mesh.workloads.web.serves");
    assertReason(e, "expected a list [ ... ], got the string \"web-svc\"; write [web-svc]");
  }

  @Test
  void wrongTypeForAWorkload() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web = "127.0.0.11"
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.workloads.web");
    assertReason(e, "expected an object");
  }

  @Test
  void missingAddress() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              app-port = 8080
            }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.workloads.web.address");
    assertEquals("missing; this key is required", e.reason());
  }

  @Test
  void missingAppPort() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web { address = "127.0.0.11" }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.workloads.web.app-port");
  }

  @Test
  void missingServicePort() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services {
            web-svc { endpoints = ["127.0.0.1:9000"] }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.services.web-svc.port");
  }

  @Test
  void unknownServiceInServes() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { web-svc { port = 80 } }
          workloads {
            web {
              address = "127.0.0.11"
              app-port = 8080
              serves = [
                web-svc,
                web-scv
              ]
            }
          }
        }
        """);
    assertAt(e, conf, 9, "trellis.mesh.workloads.web.serves[1]");
    assertEquals("unknown service \"web-scv\"; did you mean `web-svc`?", e.reason());
  }

  @Test
  void appPortOnAProxyListener() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              address = "127.0.0.11"
              app-port = 4143
            }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.workloads.web.proxy.inbound");
    assertReason(e, "127.0.0.11:4143 is already used by trellis.mesh.workloads.web.app-port (mesh.conf:5)");
  }

  @Test
  void twoWorkloadsOnOneAddressAndPort() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web { address = "127.0.0.11", app-port = 8080 }
            api {
              address = "127.0.0.12"
              app-port = 8080
              proxy { admin = "127.0.0.11:8080" }
            }
          }
        }
        """);
    assertAt(e, conf, 7, "trellis.mesh.workloads.api.proxy.admin");
    assertReason(e, "already used by trellis.mesh.workloads.web.app-port (mesh.conf:3)");
  }

  @Test
  void ipv6ListenersCompareByValue() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web { address = "::1", app-port = 8080 }
            api { address = "0:0:0:0:0:0:0:1", app-port = 8080 }
          }
        }
        """);
    assertAt(e, conf, 4, "trellis.mesh.workloads.api.app-port");
  }

  @Test
  void wildcardListenerTakesThePortEverywhere() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web { address = "127.0.0.11", app-port = 8080, proxy { admin = "0.0.0.0:4191" } }
            api { address = "127.0.0.12", app-port = 8080 }
          }
        }
        """);
    assertAt(e, conf, 4, "trellis.mesh.workloads.api.proxy.admin");
    assertReason(e, "already used by trellis.mesh.workloads.web.proxy.admin");
  }

  @Test
  void unmeshedEndpointOnAMeshListener() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services {
            legacy { port = 80, endpoints = [
              "127.0.0.1:9000",
              "127.0.0.11:8080"
            ] }
          }
          workloads {
            web { address = "127.0.0.11", app-port = 8080 }
          }
        }
        """);
    assertAt(e, conf, 5, "trellis.mesh.services.legacy.endpoints[1]");
    assertReason(e, "already used by trellis.mesh.workloads.web.app-port (mesh.conf:9)");
  }

  @Test
  void workloadAddressMustBeAnIpLiteral() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              address = "web.local"
              app-port = 8080
            }
          }
        }
        """);
    assertAt(e, conf, 4, "trellis.mesh.workloads.web.address");
    assertReason(e, "expected an IPv4 or IPv6 address");
  }

  @Test
  void ipv4OutOfRangeIsNotAnAddress() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads { web { address = "127.0.0.300", app-port = 8080 } }
        }
        """);
    assertAt(e, conf, 2, "trellis.mesh.workloads.web.address");
  }

  @Test
  void ipv6ListenerNeedsBrackets() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              address = "::1"
              app-port = 8080
              proxy { inbound = "::1:4143" }
            }
          }
        }
        """);
    assertAt(e, conf, 6, "trellis.mesh.workloads.web.proxy.inbound");
    assertReason(e, "needs brackets");
  }

  @Test
  void unmeshedEndpointMayBeAHostNameButNeedsAPort() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services {
            legacy { port = 80, endpoints = ["old.example.com"] }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.services.legacy.endpoints[0]");
    assertReason(e, "no port");
  }

  @Test
  void portOutOfRange() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services {
            web-svc { port = 70000 }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.services.web-svc.port");
    assertEquals("expected a port number 1..65535, got \"70000\"", e.reason());
  }

  @Test
  void badServiceName() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services {
            Web_Svc { port = 80 }
          }
        }
        """);
    assertAt(e, conf, 3, "trellis.mesh.services.Web_Svc");
    assertReason(e, "not a valid name");
  }

  @Test
  void hoconSyntaxErrorNamesTheLine() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services {
            web-svc { port = 80 
          }
        """);
    assertEquals(conf, e.file());
    assertTrue(e.line() > 0, e.getMessage());
    assertTrue(e.getMessage().startsWith(conf + ":" + e.line() + ": "), e.getMessage());
  }

  @Test
  void unresolvedSubstitution() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { web-svc { port = ${trellis.nowhere} } }
        }
        """);
    assertEquals(2, e.line(), e.getMessage());
    assertReason(e, "trellis.nowhere");
  }

  @Test
  void missingMeshBlock() {
    MeshConfigException e = files.fail("trellis.proxy { x = 1 }\n");
    assertEquals("trellis.mesh", e.keyPath());
    assertReason(e, "must have a trellis.mesh");
  }

  @Test
  void missingResourceFileNamesItsKeyAndPath() {
    files.write("profiles/web-svc.yaml", """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: { name: web-svc.default.svc.cluster.local }
        spec: { routes: [] }
        """);
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { web-svc { port = 80 } }
          resources = [
            "profiles/web-svc.yaml",
            "splits/web-split.yaml"
          ]
        }
        """);
    assertAt(e, conf, 5, "trellis.mesh.resources[1]");
    assertEquals("no such file: " + dir.resolve("splits/web-split.yaml").toAbsolutePath(), e.reason());
  }

  @Test
  void missingMeshConf() {
    Path nowhere = dir.resolve("nowhere.conf");
    MeshConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(MeshConfigException.class, () -> MeshConfigLoader.load(nowhere));
    assertAt(e, nowhere, -1, "");
    assertEquals(nowhere + ": no such file", e.getMessage());
  }

  @Test
  void errorInAnIncludedFileNamesThatFile() {
    Path included = files.write("workloads.conf", """
        web {
          address = "127.0.0.11"
          app-port = 0
        }
        """);
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads { include "workloads.conf" }
        }
        """);
    assertAt(e, included, 3, "trellis.mesh.workloads.web.app-port");
  }

  @Test
  void typoInAServiceIsReportedBeforeTheMissingPort() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          services { web-svc { prot = 80 } }
        }
        """);
    assertAt(e, conf, 2, "trellis.mesh.services.web-svc.prot");
    assertReason(e, "did you mean `port`?");
  }

  @Test
  void nullIsAWrongTypeNotAMissingKey() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web {
              address = "127.0.0.11"
              app-port = 8080
              service-account = null
            }
          }
        }
        """);
    assertAt(e, conf, 6, "trellis.mesh.workloads.web.service-account");
    assertEquals("expected a value, got null", e.reason());
  }

  @Test
  void ipv6WildcardTakesThePortEverywhere() {
    MeshConfigException e = files.fail("""
        trellis.mesh {
          workloads {
            web { address = "127.0.0.11", app-port = 8080, proxy { admin = "[::]:9000" } }
            api { address = "127.0.0.12", app-port = 9000 }
          }
        }
        """);
    assertAt(e, conf, 4, "trellis.mesh.workloads.api.app-port");
  }
}
