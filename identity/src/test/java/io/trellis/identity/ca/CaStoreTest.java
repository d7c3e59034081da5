package io.trellis.identity.ca;

import static io.trellis.identity.Fixtures.CA;
import static io.trellis.identity.Fixtures.NOW;
import static io.trellis.identity.Fixtures.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.trust.TrustBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mTLS by default: the CA is created in the state directory on first start, loaded after. */
class CaStoreTest {

  @TempDir Path state;

  @Test
  void firstStartCreatesTheCaAndSaysSo() throws Exception {
    CaStore.Loaded first = CaStore.ensureCa(state, CA, at(NOW));
    assertTrue(first.created());
    assertTrue(first.describe().startsWith("no CA was configured: created a new trust anchor and issuer in " + state.resolve("ca")), first.describe());

    Path dir = state.resolve("ca");
    assertEquals("rwx------", perms(dir));
    assertEquals("rw-------", perms(dir.resolve("issuer.key")));
    assertEquals("rw-------", perms(dir.resolve("anchor.key")));
    assertEquals("rw-r--r--", perms(dir.resolve("issuer.crt")));
    assertEquals("rw-r--r--", perms(dir.resolve("bundle.crt")));
    try (Stream<Path> leftovers = Files.list(state)) {
      assertEquals(List.of(dir), leftovers.toList(), "no temporary directory left behind");
    }

    CaStore.Loaded second = CaStore.ensureCa(state, CA, at(NOW.plusSeconds(60)));
    assertFalse(second.created());
    assertTrue(second.describe().startsWith("loaded the CA from"), second.describe());
    assertEquals(first.ca().anchor().certificate(), second.ca().anchor().certificate());
    assertEquals(first.ca().issuer(), second.ca().issuer());
    assertEquals(first.bundle().anchors(), second.bundle().anchors());
  }

  @Test
  void anExpiredIssuerStillLoadsWithAWarningSoTheControlPlaneCanSayWhy() throws Exception {
    CaStore.ensureCa(state, CA.withIssuerLifetime(Duration.ofDays(1)), at(NOW));
    CaStore.Loaded loaded = CaStore.ensureCa(state, CA, at(NOW.plus(Duration.ofDays(2))));
    assertTrue(loaded.warning().orElseThrow().contains("no proxy can get a certificate until it is rotated"),
        loaded.warning().toString());
    assertTrue(CaStore.ensureCa(state, CA, at(NOW)).warning().isEmpty());
    // And CaFiles (importing a CA) stays strict: tested in CaFilesTest.expiredIssuer.
  }

  @Test
  void aPartialCaIsReportedNotOverwritten() throws Exception {
    CaStore.ensureCa(state, CA, at(NOW));
    Files.delete(state.resolve("ca/issuer.key"));
    var e = assertThrows(CaLoadException.class, () -> CaStore.ensureCa(state, CA, at(NOW)));
    assertEquals(CaLoadException.Reason.INCOMPLETE, e.reason());
    assertTrue(e.getMessage().contains("lacks issuer.key"), e.getMessage());
  }

  @Test
  void aKeyReadableByOthersIsRefused() throws Exception {
    CaStore.ensureCa(state, CA, at(NOW));
    Path key = state.resolve("ca/issuer.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    var e = assertThrows(CaLoadException.class, () -> CaStore.load(state, at(NOW)));
    assertEquals(key, e.file());
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void aRotatedIssuerIsSavedAndLoaded() throws Exception {
    Ca ca = CaStore.ensureCa(state, CA, at(NOW)).ca();
    Ca rotated = ca.rotateIssuer(CA, at(NOW.plus(Duration.ofDays(200))));
    CaStore.saveIssuer(state, rotated.issuer());
    assertEquals(rotated.issuer(), CaStore.load(state, at(NOW.plus(Duration.ofDays(200)))).ca().issuer());
    assertEquals("rw-------", perms(state.resolve("ca/issuer.key")));
  }

  @Test
  void anOverlapBundleIsSavedAndMustContainTheAnchor() throws Exception {
    Ca ca = CaStore.ensureCa(state, CA, at(NOW)).ca();
    Ca next = ca.rotateAnchor(CA, at(NOW));
    TrustBundle overlap = Ca.overlapBundle(ca, next);
    CaStore.saveBundle(state, overlap);
    assertEquals(overlap.anchors(), CaStore.load(state, at(NOW)).bundle().anchors());

    CaStore.saveBundle(state, next.bundle());
    var e = assertThrows(CaLoadException.class, () -> CaStore.load(state, at(NOW)));
    assertTrue(e.getMessage().contains("does not contain the anchor"), e.getMessage());
  }

  @Test
  void anImportedCaWithoutAnchorKeyIsSaved() throws Exception {
    Ca ca = Ca.create(CA, at(NOW));
    Ca external = new Ca(new TrustAnchor(ca.anchor().certificate(), null), ca.issuer());
    CaStore.save(state, external, external.bundle());
    CaStore.Loaded loaded = CaStore.ensureCa(state, CA, at(NOW));
    assertFalse(loaded.created());
    assertTrue(loaded.ca().anchor().key().isEmpty());
    assertFalse(Files.exists(state.resolve("ca/anchor.key")));
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
