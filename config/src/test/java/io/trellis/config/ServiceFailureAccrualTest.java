package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service's own circuit-breaking settings in mesh.conf, and clear errors for bad ones. */
class ServiceFailureAccrualTest {
  @TempDir Path dir;

  MeshConfig load(String service) {
    return new MeshFiles(dir).load("trellis.mesh {\n  services {\n    web-svc " + service + "\n  }\n}\n");
  }

  @Test
  void ownSettingsOverrideSomeDefaults() {
    ServiceConfig s =
        load("{ port = 80, failure-accrual { consecutive-failures = 3, penalty-max = 10s } }")
            .services().get("web-svc");
    assertEquals(new FailureAccrual(3, null, Duration.ofSeconds(10), null), s.failureAccrual());
    assertEquals(
        new FailureAccrual(null, Duration.ofMillis(500), null, 0.25),
        load("{ port = 80, failure-accrual { penalty-min = 500ms, jitter = 0.25 } }")
            .services().get("web-svc").failureAccrual());
  }

  @Test
  void noBlockMeansDefaults() {
    assertNull(load("{ port = 80 }").services().get("web-svc").failureAccrual());
  }

  @Test
  void badValuesNameTheKey() {
    MeshConfigException jitter =
        assertThrows(MeshConfigException.class,
            () -> load("{ port = 80, failure-accrual { jitter = 2 } }"));
    assertEquals("trellis.mesh.services.web-svc.failure-accrual.jitter", jitter.keyPath());
    MeshConfigException zero =
        assertThrows(MeshConfigException.class,
            () -> load("{ port = 80, failure-accrual { consecutive-failures = 0 } }"));
    assertTrue(zero.reason().contains(">= 1"), zero.getMessage());
    MeshConfigException order =
        assertThrows(MeshConfigException.class,
            () -> load("{ port = 80, failure-accrual { penalty-min = 5s, penalty-max = 1s } }"));
    assertTrue(order.reason().contains("penalty-min"), order.getMessage());
    MeshConfigException typo =
        assertThrows(MeshConfigException.class,
            () -> load("{ port = 80, failure-accrual { penalty = 5s } }"));
    assertTrue(typo.getMessage().contains("penalty"), typo.getMessage());
    MeshConfigException notDuration =
        assertThrows(MeshConfigException.class,
            () -> load("{ port = 80, failure-accrual { penalty-min = soon } }"));
    assertTrue(notDuration.reason().contains("duration"), notDuration.getMessage());
  }
}
