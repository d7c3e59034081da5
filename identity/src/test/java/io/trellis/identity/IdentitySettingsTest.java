package io.trellis.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdentitySettingsTest {

  @Test
  void defaultsAreLinkerds() {
    IdentitySettings s = IdentitySettings.defaults();
    assertEquals("cluster.local", s.ca().trustDomain());
    assertEquals("trellis", s.ca().controlNamespace());
    assertEquals(Duration.ofDays(365), s.ca().anchorLifetime());
    assertEquals(Duration.ofDays(365), s.ca().issuerLifetime());
    assertEquals(Duration.ofHours(24), s.issuance().leafLifetime());
    assertEquals(Duration.ofSeconds(20), s.issuance().clockSkew());
    assertEquals(0.7, s.renewal().fraction());
    assertEquals("root.trellis.cluster.local", s.ca().anchorName());
    assertEquals("identity.trellis.cluster.local", s.ca().issuerName());
  }

  @Test
  void overridesApply() {
    IdentitySettings s = IdentitySettings.fromConfig(ConfigFactory.parseString(
        "trellis.identity { leaf-lifetime = 1h, trust-domain = example.org, control-namespace = linkerd }")
        .withFallback(ConfigFactory.defaultReference()));
    assertEquals(Duration.ofHours(1), s.issuance().leafLifetime());
    assertEquals("web.ns.serviceaccount.identity.linkerd.example.org", s.identityOf("web", "ns").value());
  }

  @Test
  void badValuesNameTheirKey() {
    var e = assertThrows(IllegalArgumentException.class, () -> IdentitySettings.fromConfig(
        ConfigFactory.parseString("trellis.identity.issuer-lifetime = 0s")
            .withFallback(ConfigFactory.defaultReference())));
    assertTrue(e.getMessage().contains("trellis.identity.issuer-lifetime"), e.getMessage());
  }
}
