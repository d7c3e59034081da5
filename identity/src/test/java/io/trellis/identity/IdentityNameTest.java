package io.trellis.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IdentityNameTest {

  @Test
  void buildsLinkerdShapedNames() {
    IdentityName name = new IdentityName("web", "emojivoto", "trellis", "cluster.local");
    assertEquals("web.emojivoto.serviceaccount.identity.trellis.cluster.local", name.value());
    assertEquals(name.value(), name.toString());
  }

  @Test
  void parsesWhatItBuilds() {
    IdentityName name = IdentityName.parse("web.emojivoto.serviceaccount.identity.linkerd.example.org");
    assertEquals(new IdentityName("web", "emojivoto", "linkerd", "example.org"), name);
  }

  @Test
  void defaultsComeFromReferenceConf() {
    assertEquals("web.emojivoto.serviceaccount.identity.trellis.cluster.local",
        IdentitySettings.defaults().identityOf("web", "emojivoto").value());
  }

  @Test
  void rejectsNamesWithoutTheMarker() {
    var e = assertThrows(IdentityNameException.class, () -> IdentityName.parse("web.emojivoto.svc.cluster.local"));
    assertTrue(e.getMessage().contains("<service-account>.<namespace>.serviceaccount.identity."), e.getMessage());
  }

  @Test
  void rejectsExtraLabelsBeforeTheMarker() {
    var e = assertThrows(IdentityNameException.class,
        () -> IdentityName.parse("evil.web.emojivoto.serviceaccount.identity.trellis.cluster.local"));
    assertTrue(e.getMessage().contains("exactly <service-account>.<namespace>"), e.getMessage());
  }

  @Test
  void rejectsMissingTrustDomain() {
    assertThrows(IdentityNameException.class,
        () -> IdentityName.parse("web.emojivoto.serviceaccount.identity.trellis"));
  }

  @Test
  void rejectsBadLabelsAndSaysWhichPart() {
    var upper = assertThrows(IdentityNameException.class, () -> new IdentityName("Web", "ns", "trellis", "cluster.local"));
    assertTrue(upper.getMessage().contains("service account 'Web'"), upper.getMessage());
    assertTrue(upper.getMessage().contains("use 'web'"), upper.getMessage());
    var hyphen = assertThrows(IdentityNameException.class, () -> new IdentityName("web", "-ns", "trellis", "cluster.local"));
    assertTrue(hyphen.getMessage().contains("namespace '-ns'"), hyphen.getMessage());
    var domain = assertThrows(IdentityNameException.class, () -> new IdentityName("web", "ns", "trellis", "cluster..local"));
    assertTrue(domain.getMessage().contains("trust domain"), domain.getMessage());
    assertThrows(IdentityNameException.class, () -> new IdentityName("web", "ns", "trellis", "a_b"));
    assertThrows(IdentityNameException.class, () -> new IdentityName("a".repeat(64), "ns", "trellis", "cluster.local"));
  }

  @Test
  void rejectsNamesLongerThanDnsAllows() {
    String label = "a".repeat(63);
    var e = assertThrows(IdentityNameException.class,
        () -> new IdentityName(label, label, label, label + "." + label));
    assertTrue(e.getMessage().contains("at most 253"), e.getMessage());
  }

  @Test
  void dnsLabels() {
    assertTrue(IdentityName.isDnsLabel("web-canary"));
    assertTrue(IdentityName.isDnsLabel("a"));
    assertFalse(IdentityName.isDnsLabel("web-"));
    assertFalse(IdentityName.isDnsLabel("../x"));
    assertFalse(IdentityName.isDnsLabel(""));
    assertFalse(IdentityName.isDnsLabel(null));
  }
}
