package io.trellis.identity.tls;

import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.WEB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.identity.Fixtures;
import io.trellis.identity.ca.Ca;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real listener on 127.0.0.1, port 0: the server answers each connection with the identity
 * its client proved. The listener keeps running while the server's certificate is renewed.
 */
class LoopbackSocketTest {

  private final Ca ca = Fixtures.ca();
  private final MeshCredentials serverCredentials = new MeshCredentials(ca.bundle());
  private final ExecutorService executor = Executors.newSingleThreadExecutor();
  private SSLServerSocket listener;
  private Future<?> accepting;

  @BeforeEach
  void listen() throws IOException {
    serverCredentials.update(Fixtures.leaf(ca, EMOJI));
    TlsContexts server = TlsContexts.create(serverCredentials, Clock.systemUTC());
    listener = server.serverSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    accepting = executor.submit(this::serve);
  }

  @AfterEach
  void close() throws Exception {
    listener.close();
    executor.shutdownNow();
    executor.awaitTermination(5, TimeUnit.SECONDS);
  }

  private void serve() {
    while (!listener.isClosed()) {
      try (SSLSocket socket = (SSLSocket) listener.accept()) {
        socket.setSoTimeout(10_000);
        var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        var out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
        out.println(line + " from " + PeerIdentity.of(socket.getSession()).map(Object::toString).orElse("?"));
      } catch (IOException e) {
        // A refused handshake or the listener closing: next connection.
      }
    }
  }

  @Test
  void handshakeAndExchangeOverLoopback() throws Exception {
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, WEB));
    try (SSLSocket socket = connect(client)) {
      assertEquals("TLSv1.3", socket.getSession().getProtocol());
      assertEquals(EMOJI, PeerIdentity.of(socket.getSession()).orElseThrow());
      assertEquals("hello from " + WEB, exchange(socket, "hello"));
    }
  }

  @Test
  void aRenewedCertificateIsServedWithoutRestartingTheListener() throws Exception {
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, WEB));
    X509Certificate first;
    try (SSLSocket socket = connect(client)) {
      first = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      exchange(socket, "one");
    }
    LeafCredentials renewed = Fixtures.leaf(ca, EMOJI);
    serverCredentials.update(renewed);
    try (SSLSocket socket = connect(client)) {
      X509Certificate second = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      assertNotEquals(first.getSerialNumber(), second.getSerialNumber());
      assertEquals(renewed.leaf(), second);
      assertEquals("two from " + WEB, exchange(socket, "two"));
    }
  }

  @Test
  void aClientExpectingAnotherIdentityDisconnects() {
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, WEB));
    var e = assertThrows(SSLException.class, () -> client.connect(WEB, address(), Duration.ofSeconds(10)));
    assertTrue(MutualTlsTest.chain(e).contains("the server is " + EMOJI + ", expected " + WEB), MutualTlsTest.chain(e));
  }

  @Test
  void aClientNeverResumesASessionVerifiedForAnotherIdentity() throws Exception {
    TlsContexts client = MutualTlsTest.contexts(ca.bundle(), Fixtures.leaf(ca, WEB));
    try (SSLSocket socket = connect(client)) {
      exchange(socket, "one");
    }
    // Same client, same address and port, another expected identity: a full handshake, refused.
    assertThrows(SSLException.class, () -> client.connect(WEB, address(), Duration.ofSeconds(10)));
  }

  private SSLSocket connect(TlsContexts client) throws IOException {
    return client.connect(EMOJI, address(), Duration.ofSeconds(10));
  }

  private InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  private static String exchange(SSLSocket socket, String message) throws IOException {
    new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8).println(message);
    return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
  }
}
