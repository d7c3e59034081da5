package io.trellis.actors.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.trellis.actors.ControlPlane;
import io.trellis.actors.ControlPlaneSettings;
import io.trellis.actors.TestMeshes;
import io.trellis.api.identity.CertifyRequest;
import io.trellis.api.identity.CertifyResponse;
import io.trellis.api.identity.IdentityClient;
import io.trellis.config.HostPort;
import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.ca.CaStore;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.tls.LeafCredentials;
import io.trellis.identity.token.WorkloadTokens;
import io.trellis.identity.trust.TrustBundle;
import io.trellis.identity.x509.EcKeys;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The identity service as a proxy reaches it: a control-plane node with a state directory, on the
 * shared API port, called with the generated gRPC client. Each refusal comes back as a gRPC status
 * whose message starts with its reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdentityServiceTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final String WEB = "web.demo.serviceaccount.identity.trellis.cluster.local";
  private static final String EMOJI = "emoji.demo.serviceaccount.identity.trellis.cluster.local";

  private final ActorTestKit testKit = ActorTestKit.create("IdentityServiceTest");
  private final MovableClock clock = new MovableClock();
  private Path stateDir;
  private TestMeshes.MutableMesh mesh;
  private ControlPlane node;
  private IdentityClient client;

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("target"), "identity-");
    stateDir = dir.resolve(".trellis");
    mesh = new TestMeshes.MutableMesh(TestMeshes.mesh(""));
    ControlPlaneSettings settings = ControlPlaneSettings.defaults()
        .withDestination(new HostPort("127.0.0.1", TestMeshes.freePort()))
        .withNode(new HostPort("127.0.0.1", TestMeshes.freePort()))
        .withStateDir(stateDir);
    settings = settings.withMeshPollInterval(Duration.ofMillis(100));
    node = ControlPlane.start("IdentityServiceTest-cp", settings, mesh,
            IdentitySettings.defaults(), clock)
        .toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    client = IdentityClient.create(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", node.destinationAddress().getPort(),
            testKit.system()).withTls(false),
        testKit.system());
  }

  @AfterAll
  void stop() throws Exception {
    client.close();
    node.stop().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    testKit.shutdownTestKit();
  }

  @Test
  void firstStartCreatesTheCaAndOwnerOnlyTokensForEveryWorkload() throws Exception {
    assertTrue(Files.isRegularFile(CaStore.directory(stateDir).resolve(CaStore.ISSUER_KEY)));
    assertEquals("rwx------", perms(CaStore.directory(stateDir)));
    assertEquals("rw-------", perms(CaStore.directory(stateDir).resolve(CaStore.ISSUER_KEY)));
    assertEquals("rwx------", perms(WorkloadTokens.directory(stateDir)));
    for (String w : List.of("web", "emoji", "voting")) {
      assertEquals("rw-------", perms(WorkloadTokens.file(stateDir, w)), w);
    }
  }

  @Test
  void aGoodCsrIsSignedAndChainsToTheBundle() throws Exception {
    LeafRequest request = LeafRequest.create(IdentityName.parse(WEB));
    CertifyResponse answer = certify(WEB, token("web"), request.csr());
    IssuedCertificate issued = issued(answer);
    LeafCredentials leaf =
        LeafCredentials.accept(request, issued, bundle(), Instant.now());
    assertEquals(WEB, leaf.identity().value());
    assertEquals(issued.validUntil().getEpochSecond(), answer.getValidUntil().getSeconds());
    // 24 h leaves by default.
    Duration lifetime = Duration.between(Instant.now(), issued.validUntil());
    assertTrue(lifetime.compareTo(Duration.ofHours(23)) > 0, lifetime.toString());
  }

  @Test
  void aWrongTokenIsRefusedAsUnauthenticated() {
    LeafRequest request = LeafRequest.create(IdentityName.parse(WEB));
    assertRefused(Status.Code.UNAUTHENTICATED, "TOKEN_INVALID",
        () -> certify(WEB, WorkloadTokens.generate(), request.csr()));
  }

  @Test
  void anotherWorkloadsNameIsRefusedAsPermissionDenied() {
    LeafRequest request = LeafRequest.create(IdentityName.parse(WEB));
    StatusRuntimeException e = assertRefused(Status.Code.PERMISSION_DENIED, "TOKEN_MISMATCH",
        () -> certify(WEB, token("emoji"), request.csr()));
    assertTrue(e.getStatus().getDescription().contains(EMOJI), e.getMessage());
  }

  @Test
  void aCsrWithTwoSansIsRefused() {
    KeyPair keys = EcKeys.generate();
    byte[] csr = csr(keys, dns(WEB), dns("evil.example.com"));
    StatusRuntimeException e = assertRefused(Status.Code.INVALID_ARGUMENT, "SAN_MISMATCH",
        () -> certify(WEB, token("web"), csr));
    assertTrue(e.getStatus().getDescription().contains("exactly one DNS SAN"), e.getMessage());
  }

  @Test
  void aSanOtherThanTheRequestedNameIsRefused() {
    byte[] csr = csr(EcKeys.generate(), dns(EMOJI));
    assertRefused(Status.Code.INVALID_ARGUMENT, "SAN_MISMATCH",
        () -> certify(WEB, token("web"), csr));
  }

  @Test
  void anExpiredIssuerIsRefusedWithTheReason() {
    LeafRequest request = LeafRequest.create(IdentityName.parse(WEB));
    clock.offset = Duration.ofDays(400);
    try {
      StatusRuntimeException e = assertRefused(Status.Code.FAILED_PRECONDITION, "ISSUER_EXPIRED",
          () -> certify(WEB, token("web"), request.csr()));
      assertTrue(e.getStatus().getDescription().contains("rotate"), e.getMessage());
    } finally {
      clock.offset = Duration.ZERO;
    }
  }

  @Test
  void aWorkloadAddedWhileRunningGetsATokenAndACertificate() throws Exception {
    mesh.set(TestMeshes.mesh(
        "web-canary { address = \"127.0.0.14\", app-port = 8080, serves = [web-svc],"
            + " service-account = web }"));
    // Its token is written when the change is applied; the canary shares web's identity.
    LeafRequest request = LeafRequest.create(IdentityName.parse(WEB));
    IssuedCertificate issued = issued(certify(WEB, token("web-canary"), request.csr()));
    LeafCredentials.accept(request, issued, bundle(), Instant.now());
    assertEquals("rw-------", perms(WorkloadTokens.file(stateDir, "web-canary")));
  }

  @Test
  void aRotatedIssuerIsPickedUpWhileOldLeavesStillVerify() throws Exception {
    LeafRequest before = LeafRequest.create(IdentityName.parse(WEB));
    IssuedCertificate old = issued(certify(WEB, token("web"), before.csr()));

    Ca ca = CaStore.load(stateDir, Clock.systemUTC()).ca();
    Ca rotated = ca.rotateIssuer(IdentitySettings.defaults().ca(), Clock.systemUTC());
    CaStore.saveIssuer(stateDir, rotated.issuer());

    X509Certificate newIssuer = rotated.issuer().certificate();
    Instant deadline = Instant.now().plus(DEADLINE);
    IssuedCertificate fresh;
    do {
      LeafRequest after = LeafRequest.create(IdentityName.parse(WEB));
      fresh = issued(certify(WEB, token("web"), after.csr()));
      if (fresh.intermediates().get(0).equals(newIssuer)) {
        LeafCredentials.accept(after, fresh, bundle(), Instant.now());
        break;
      }
      Thread.sleep(20);
    } while (Instant.now().isBefore(deadline));
    assertEquals(newIssuer, fresh.intermediates().get(0), "new leaves come from the new issuer");
    assertNotEquals(old.intermediates().get(0), fresh.intermediates().get(0));
    // Same anchor: the old leaf still verifies with the bundle proxies have.
    bundle().verify(old.chain(), Instant.now());
    bundle().verify(fresh.chain(), Instant.now());
  }

  private CertifyResponse certify(String identity, String token, byte[] csr) throws Exception {
    try {
      return client.certify(CertifyRequest.newBuilder()
              .setIdentity(identity)
              .setToken(ByteString.copyFrom(token, StandardCharsets.UTF_8))
              .setCertificateSigningRequest(ByteString.copyFrom(csr))
              .build())
          .toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static StatusRuntimeException assertRefused(
      Status.Code code, String reason, org.junit.jupiter.api.function.Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getMessage());
    assertTrue(e.getStatus().getDescription().startsWith(reason + ": "), e.getMessage());
    return e;
  }

  private String token(String workload) throws Exception {
    // The token file may be written by the mesh change just made: wait for it.
    Instant deadline = Instant.now().plus(DEADLINE);
    while (!Files.exists(WorkloadTokens.file(stateDir, workload))
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
    }
    return WorkloadTokens.read(stateDir, workload);
  }

  private TrustBundle bundle() throws Exception {
    return TrustBundle.read(CaStore.directory(stateDir).resolve(CaStore.BUNDLE_CRT));
  }

  private static IssuedCertificate issued(CertifyResponse answer) throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    List<X509Certificate> intermediates = new ArrayList<>();
    for (ByteString der : answer.getIntermediateCertificatesList()) {
      intermediates.add((X509Certificate) x509.generateCertificate(
          new ByteArrayInputStream(der.toByteArray())));
    }
    return new IssuedCertificate((X509Certificate) x509.generateCertificate(
        new ByteArrayInputStream(answer.getLeafCertificate().toByteArray())), intermediates);
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  private static byte[] csr(KeyPair keys, GeneralName... sans) {
    try {
      var builder = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=test"),
          keys.getPublic());
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      return builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
          .build(keys.getPrivate())).getEncoded();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The system clock, moved by {@link #offset} (to see the issuer from after its expiry). */
  private static final class MovableClock extends Clock {
    volatile Duration offset = Duration.ZERO;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }
}
