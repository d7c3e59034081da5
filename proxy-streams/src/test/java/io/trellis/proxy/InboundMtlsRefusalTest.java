package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import io.trellis.identity.tls.LeafCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mTLS the inbound listener must refuse: each handshake fails and nothing is forwarded, which
 * the app (counting the connections it accepts) confirms. The first test is the control: the
 * same client with a good certificate gets through.
 */
class InboundMtlsRefusalTest extends SidecarTestKit {
  private static final byte[] PING = "\u0001ping\n".getBytes();

  /** Created three days ago, so that a leaf issued two days ago has expired by now. */
  private final MeshPki pki = new MeshPki(Instant.now().minus(Duration.ofDays(3))
      .truncatedTo(ChronoUnit.SECONDS));

  private EchoApp app;
  private Sidecar guarded;

  @TempDir Path tmp;

  @BeforeAll
  void startGuarded() throws Exception {
    WorkloadConfig w = mesh.workload("guarded");
    app = EchoApp.start(w.app(), null);
    started.push(app);
    guarded = sidecar(w, pki.credentials("guarded"));
  }

  @Test
  void aClientWithAGoodCertificateGetsThrough() throws Exception {
    int before = app.accepted();
    LeafCredentials leaf = pki.leaf("client");
    assertEquals("\u0001ping\n", exchange(leaf.key(), leaf.chain()));
    assertEquals(before + 1, app.accepted());
  }

  @Test
  void anExpiredClientCertificateIsRefused() throws Exception {
    LeafCredentials expired = pki.leaf("client", Instant.now().minus(Duration.ofDays(2)));
    assertTrue(expired.notAfter().isBefore(Instant.now()));
    refused(expired.key(), expired.chain());
  }

  @Test
  void aCertificateWhoseSanIsNoIdentityIsRefused() throws Exception {
    Object[] foreign = pki.foreignLeaf("evil.example.com");
    refused((PrivateKey) foreign[0], castChain(foreign[1]));
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    LeafCredentials stranger = new MeshPki().leaf("client");
    refused(stranger.key(), stranger.chain());
  }

  @Test
  void aClientWithoutCertificateIsRefused() throws Exception {
    refused(null, null);
  }

  @Test
  void aTls12ClientHelloIsRefused() throws Exception {
    Processes.require("openssl");
    int before = app.accepted();
    LeafCredentials leaf = pki.leaf("client");
    Path[] pem = pki.writePem(tmp, "client", leaf.key(), leaf.chain());
    InetSocketAddress at = guarded.inboundAddress();
    var result = Processes.run(List.of("openssl", "s_client", "-tls1_2",
        "-connect", at.getHostString() + ":" + at.getPort(),
        "-cert", pem[0].toString(), "-key", pem[1].toString()), "ping\n", 20);
    assertNotEquals(0, result.exit(), result.out());
    // No session: the server closed the handshake (pekko's TLS stage may close before the JDK's
    // protocol_version alert is flushed, so openssl reports an unexpected EOF instead).
    assertTrue(result.out().contains("Cipher is (NONE)"), result.out());
    assertFalse(result.out().contains("ping"), result.out());
    assertEquals(before, app.accepted(), "nothing may reach the app");
  }

  /** The handshake fails (now or at the first read, TLS 1.3 checks the client last). */
  private void refused(PrivateKey key, List<X509Certificate> chain) throws Exception {
    int before = app.accepted();
    String got;
    try {
      got = exchange(key, chain);
    } catch (IOException e) {
      got = "refused: " + e;
    }
    assertTrue(got.startsWith("refused"), got);
    assertEquals(before, app.accepted(), "nothing may reach the app");
  }

  /** A TLS 1.3 client presenting {@code chain} (none when null); sends PING, returns the echo. */
  private String exchange(PrivateKey key, List<X509Certificate> chain) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    if (key != null) {
      ks.setKeyEntry("leaf", key, new char[0], chain.toArray(X509Certificate[]::new));
    }
    kmf.init(ks, new char[0]);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    // The server's certificate is not what these cases are about.
    context.init(kmf.getKeyManagers(), new TrustManager[] {new TrustingManager()}, null);
    InetSocketAddress at = guarded.inboundAddress();
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory()
        .createSocket(at.getHostString(), at.getPort())) {
      socket.setSoTimeout(5000);
      socket.setEnabledProtocols(new String[] {"TLSv1.3"});
      socket.startHandshake();
      socket.getOutputStream().write(PING);
      socket.getOutputStream().flush();
      byte[] back = socket.getInputStream().readNBytes(PING.length);
      return back.length == PING.length ? new String(back) : "refused: closed";
    }
  }

  @SuppressWarnings("unchecked")
  private static List<X509Certificate> castChain(Object chain) {
    return (List<X509Certificate>) chain;
  }

  private static final class TrustingManager implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
