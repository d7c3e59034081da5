package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that offer an h2c upgrade ({@code Upgrade: h2c} and {@code HTTP2-Settings} on an HTTP/1.1
 * request, as Java's HttpClient does on the first request of every plaintext connection): the
 * proxy declines, answers over HTTP/1.1 and keeps serving the connection as HTTP/1.1, as Linkerd
 * does. h2c prior knowledge on the same port is unaffected.
 */
class SidecarH2cUpgradeTest extends SidecarTestKit {
  private static final String UPGRADE_OFFER =
      "Connection: Upgrade, HTTP2-Settings\r\n"
          + "Upgrade: h2c\r\n"
          + "HTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAAAAAQBAAAAAAUAAEAAAAYABgAA\r\n";

  Sidecar client;
  Sidecar server;

  @BeforeAll
  void startMesh() {
    mesh.service("web", 80);
    WorkloadConfig web = mesh.workload("web", "web");
    client = sidecar(mesh.workload("client"));
    server = sidecar(web);
    app(web);
  }

  @Test
  void upgradeOfferIsAnsweredOverHttp11AndLaterRequestsOnTheConnectionToo() throws IOException {
    try (Socket socket = connect(client.outboundAddress())) {
      send(socket, "GET /first HTTP/1.1\r\nHost: web\r\n" + UPGRADE_OFFER + "\r\n");
      Response first = Response.read(socket.getInputStream());
      assertEquals("HTTP/1.1 200 OK", first.statusLine);
      assertTrue(first.body.startsWith("web HTTP/1.1"), first.body);
      // The offer is connection-scoped: it reaches neither the app nor the client's answer.
      assertFalse(first.body.toLowerCase(Locale.ROOT).contains("upgrade"), first.body);
      assertFalse(first.body.toLowerCase(Locale.ROOT).contains("http2-settings"), first.body);
      for (int i = 0; i < 3; i++) {
        send(socket, "GET /later-" + i + " HTTP/1.1\r\nHost: web\r\n\r\n");
        Response later = Response.read(socket.getInputStream());
        assertEquals("HTTP/1.1 200 OK", later.statusLine);
        assertTrue(later.body.startsWith("web HTTP/1.1"), later.body);
      }
    }
  }

  @Test
  void upgradeOfferWithABodyStillArrivingIsAnsweredOnTheConnection() throws Exception {
    // pekko's own upgrade answered 101 before such a body was read, then closed the connection
    // without an answer.
    try (Socket socket = connect(client.outboundAddress())) {
      send(
          socket,
          "POST /drain HTTP/1.1\r\nHost: web\r\n"
              + UPGRADE_OFFER
              + "Content-Length: 11\r\n\r\nhello");
      Thread.sleep(100);
      send(socket, " world");
      Response first = Response.read(socket.getInputStream());
      assertEquals("HTTP/1.1 200 OK", first.statusLine);
      assertEquals("web HTTP/1.1 bytes=11", first.body);
      send(socket, "GET /later HTTP/1.1\r\nHost: web\r\n\r\n");
      assertEquals("HTTP/1.1 200 OK", Response.read(socket.getInputStream()).statusLine);
    }
  }

  @Test
  void javaHttpClientAskingForHttp2StaysOnHttp11() throws Exception {
    // Java's HttpClient cannot set Host on HTTP/2 without a system property, so it calls the
    // inbound listener, which sends everything to the app.
    InetSocketAddress inbound = server.inboundAddress();
    HttpClient javaClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    for (int i = 0; i < 3; i++) {
      var request =
          java.net.http.HttpRequest.newBuilder(
                  URI.create(
                      "http://" + inbound.getHostString() + ":" + inbound.getPort() + "/drain"))
              .timeout(AWAIT)
              .POST(
                  java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                      () -> new java.io.ByteArrayInputStream(new byte[256 * 1024])))
              .build();
      var response = javaClient.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertEquals(HttpClient.Version.HTTP_1_1, response.version());
      assertEquals("web HTTP/1.1 bytes=" + (256 * 1024), response.body());
    }
  }

  @Test
  void priorKnowledgeHttp2StillServedOnTheSamePort() {
    String body = body(h2(client.outboundAddress(), HttpRequest.GET("http://web/x")));
    assertTrue(body.startsWith("web HTTP/2.0"), body);
  }

  private static Socket connect(InetSocketAddress to) throws IOException {
    Socket socket = new Socket(to.getAddress(), to.getPort());
    socket.setSoTimeout((int) AWAIT.toMillis());
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** One HTTP/1.1 response with a Content-Length body (what the test app sends). */
  private record Response(String statusLine, String body) {
    static Response read(InputStream in) throws IOException {
      String head = readHead(in);
      String[] lines = head.split("\r\n");
      int length = 0;
      for (String line : lines) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      return new Response(lines[0], new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed after: " + head);
        }
        head.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      return head.toString(StandardCharsets.ISO_8859_1);
    }
  }

}
