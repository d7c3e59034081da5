package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.ca.CaStore;
import io.trellis.identity.pem.Pem;
import io.trellis.identity.trust.TrustBundle;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trellis identity init} and {@code rotate-issuer}: files, permissions, exit codes. */
class IdentityCommandTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void initCreatesAnOwnerOnlyCaAndRefusesToOverwriteItWithoutForce() throws Exception {
    Path state = dir.resolve("state");
    Result r = run("identity", "init", "--state-dir", state.toString(),
        "--anchor-lifetime", "30d", "--issuer-lifetime", "7d");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("created the CA in " + state.resolve("ca")), r.out());
    Path ca = state.resolve("ca");
    assertEquals("rwx------", perms(ca));
    assertEquals("rw-------", perms(ca.resolve("anchor.key")));
    assertEquals("rw-------", perms(ca.resolve("issuer.key")));
    assertEquals("rw-r--r--", perms(ca.resolve("issuer.crt")));
    assertEquals("rw-r--r--", perms(ca.resolve("bundle.crt")));
    CaStore.Loaded loaded = CaStore.load(state, Clock.systemUTC());
    Duration issuerLeft = Duration.between(Instant.now(), loaded.ca().issuer().notAfter());
    assertTrue(issuerLeft.compareTo(Duration.ofDays(7)) <= 0
        && issuerLeft.compareTo(Duration.ofDays(6)) > 0, issuerLeft.toString());
    String issuerBefore = Files.readString(ca.resolve("issuer.crt"));

    Result again = run("identity", "init", "--state-dir", state.toString());
    assertEquals(2, again.code());
    assertTrue(again.err().contains("already holds a CA") && again.err().contains("--force"),
        again.err());
    assertEquals(issuerBefore, Files.readString(ca.resolve("issuer.crt")), "kept");

    Result forced = run("identity", "init", "--state-dir", state.toString(), "--force");
    assertEquals(0, forced.code(), forced.err());
    assertNotEquals(issuerBefore, Files.readString(ca.resolve("issuer.crt")));
  }

  @Test
  void initFindsTheStateDirectoryBesideMeshConf() throws Exception {
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(conf, """
        trellis.mesh { namespace = demo }
        trellis.control-plane.identity { trust-domain = "example.org" }
        """);
    Result r = run("identity", "init", "--config", conf.toString());
    assertEquals(0, r.code(), r.err());
    X509Certificate anchor = CaStore.load(dir.resolve(".trellis"), Clock.systemUTC())
        .ca().anchor().certificate();
    assertEquals("CN=root.trellis.example.org", anchor.getSubjectX500Principal().getName());
  }

  @Test
  void initImportsPemFilesAndRotateIssuerNeedsTheAnchorKey() throws Exception {
    Ca ca = Ca.create(IdentitySettings.defaults().ca(), Clock.systemUTC());
    Path anchorCrt = write("anchor.crt", Pem.encode(ca.anchor().certificate()));
    Path issuerCrt = write("issuer.crt", Pem.encode(ca.issuer().certificate()));
    Path issuerKey = write("issuer.key", Pem.encode(ca.issuer().key()));
    Path state = dir.resolve("imported");
    Result r = run("identity", "init", "--state-dir", state.toString(),
        "--anchor-cert", anchorCrt.toString(), "--issuer-cert", issuerCrt.toString(),
        "--issuer-key", issuerKey.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("imported the CA"), r.out());
    assertEquals("rw-------", perms(state.resolve("ca/issuer.key")));
    assertFalse(Files.exists(state.resolve("ca/anchor.key")));
    assertEquals(ca.issuer().certificate(),
        CaStore.load(state, Clock.systemUTC()).ca().issuer().certificate());

    Result rotate = run("identity", "rotate-issuer", "--state-dir", state.toString());
    assertEquals(2, rotate.code());
    assertTrue(rotate.err().contains("anchor.key") && rotate.err().contains("cannot sign"),
        rotate.err());
  }

  @Test
  void aBadImportNamesTheFileAndTheReason() throws Exception {
    Ca ca = Ca.create(IdentitySettings.defaults().ca(), Clock.systemUTC());
    Ca other = Ca.create(IdentitySettings.defaults().ca(), Clock.systemUTC());
    Path anchorCrt = write("anchor.crt", Pem.encode(ca.anchor().certificate()));
    Path issuerCrt = write("issuer.crt", Pem.encode(ca.issuer().certificate()));
    Path wrongKey = write("wrong.key", Pem.encode(other.issuer().key()));
    Path notPem = write("junk.crt", "hello\n");
    Path state = dir.resolve("bad");

    Result mismatch = run("identity", "init", "--state-dir", state.toString(),
        "--anchor-cert", anchorCrt.toString(), "--issuer-cert", issuerCrt.toString(),
        "--issuer-key", wrongKey.toString());
    assertEquals(2, mismatch.code());
    assertTrue(mismatch.err().contains(wrongKey.toString())
        && mismatch.err().contains("does not belong"), mismatch.err());

    Result junk = run("identity", "init", "--state-dir", state.toString(),
        "--anchor-cert", notPem.toString(), "--issuer-cert", issuerCrt.toString(),
        "--issuer-key", wrongKey.toString());
    assertEquals(2, junk.code());
    assertTrue(junk.err().contains(notPem.toString()), junk.err());

    Result partial = run("identity", "init", "--state-dir", state.toString(),
        "--anchor-cert", anchorCrt.toString());
    assertEquals(2, partial.code());
    assertTrue(partial.err().contains("--issuer-key"), partial.err());
    assertFalse(Files.exists(state.resolve("ca")), "nothing written on bad input");
  }

  @Test
  void rotateIssuerKeepsTheAnchorSoOldAndNewIssuersBothVerify() throws Exception {
    Path state = dir.resolve("state");
    assertEquals(0, run("identity", "init", "--state-dir", state.toString()).code());
    Ca before = CaStore.load(state, Clock.systemUTC()).ca();

    Result r = run("identity", "rotate-issuer", "--state-dir", state.toString(),
        "--issuer-lifetime", "90d");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("rotated the issuer"), r.out());
    Ca after = CaStore.load(state, Clock.systemUTC()).ca();
    assertEquals(before.anchor().certificate(), after.anchor().certificate());
    assertNotEquals(before.issuer().certificate(), after.issuer().certificate());
    assertEquals("rw-------", perms(state.resolve("ca/issuer.key")));
    TrustBundle bundle = TrustBundle.read(state.resolve("ca/bundle.crt"));
    bundle.verify(List.of(before.issuer().certificate()), Instant.now());
    bundle.verify(List.of(after.issuer().certificate()), Instant.now());
  }

  @Test
  void rotateAnchorPublishesTheOverlapThenSwitchesThenDropsTheOldAnchor() throws Exception {
    Path state = dir.resolve("state");
    assertEquals(0, run("identity", "init", "--state-dir", state.toString()).code());
    Ca old = CaStore.load(state, Clock.systemUTC()).ca();
    Path bundleFile = state.resolve("ca/bundle.crt");

    assertEquals(2, run("identity", "rotate-anchor", "switch", "--state-dir", state.toString())
        .code(), "switch before prepare");
    Result prepare = run("identity", "rotate-anchor", "prepare", "--state-dir", state.toString());
    assertEquals(0, prepare.code(), prepare.err());
    TrustBundle overlap = TrustBundle.read(bundleFile);
    assertEquals(2, overlap.anchors().size());
    assertEquals(old.issuer().certificate(),
        CaStore.load(state, Clock.systemUTC()).ca().issuer().certificate(), "still old issuer");
    assertEquals(2, run("identity", "rotate-anchor", "prepare", "--state-dir", state.toString())
        .code(), "prepared twice");
    assertEquals(2, run("identity", "rotate-anchor", "finish", "--state-dir", state.toString())
        .code(), "finish before switch");

    Result switched = run("identity", "rotate-anchor", "switch", "--state-dir", state.toString());
    assertEquals(0, switched.code(), switched.err());
    Ca next = CaStore.load(state, Clock.systemUTC()).ca();
    assertNotEquals(old.anchor().certificate(), next.anchor().certificate());
    assertEquals(overlap.anchors(), TrustBundle.read(bundleFile).anchors(), "still both");
    // Both issuers' chains verify while the overlap lasts.
    TrustBundle both = TrustBundle.read(bundleFile);
    both.verify(List.of(old.issuer().certificate()), Instant.now());
    both.verify(List.of(next.issuer().certificate()), Instant.now());
    assertFalse(Files.exists(state.resolve("anchor-rotation/ca")));

    Result finish = run("identity", "rotate-anchor", "finish", "--state-dir", state.toString());
    assertEquals(0, finish.code(), finish.err());
    assertEquals(List.of(next.anchor().certificate()), TrustBundle.read(bundleFile).anchors());
    assertEquals("rw-------", perms(state.resolve("ca/anchor.key")));
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run("identity", "init").code(), "needs --state-dir or --config");
    assertEquals(2, run("identity", "rotate-issuer", "--state-dir",
        dir.resolve("none").toString()).code());
    assertEquals(2, run("identity", "init", "--state-dir", dir.toString(),
        "--issuer-lifetime", "soon").code());
    Result missing = run("identity", "init", "--config", dir.resolve("nope.conf").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("nope.conf: no such file"), missing.err());
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
