package io.trellis.proxy.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import io.trellis.proxy.transport.ChannelStage;
import io.trellis.proxy.transport.LoopTransport;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Http1Relay} on the loop transport in front of a real HTTP server (the JDK's): a real
 * client's keep-alive requests (Content-Length and chunked uploads) arrive intact over one
 * upstream connection per client connection, hop-by-hop headers stripped; a smuggling attempt is
 * answered 400 and closed without reaching the server.
 */
class Http1RelayTest {
  private static ActorSystem system;
  private static HttpServer server;
  private static LoopTransport.Binding relay;
  private static final Set<String> upstreamPeers = ConcurrentHashMap.newKeySet();
  private static final Set<String> seenConnectionHeaders = ConcurrentHashMap.newKeySet();
  private static volatile int requestsSeen;

  @BeforeAll
  static void start() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    server = HttpServer.create(new InetSocketAddress(lo, 0), 16);
    server.createContext(
        "/",
        ex -> {
          requestsSeen++;
          upstreamPeers.add(String.valueOf(ex.getRemoteAddress()));
          String upgrade = ex.getRequestHeaders().getFirst("Upgrade");
          if (upgrade != null) {
            seenConnectionHeaders.add("upgrade");
          }
          byte[] body = ex.getRequestBody().readAllBytes();
          byte[] answer = (ex.getRequestMethod() + " " + body.length + " ").getBytes();
          ex.sendResponseHeaders(200, answer.length + body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(answer);
            out.write(body);
          }
        });
    server.start();
    system = ActorSystem.create("http1-relay-test", ConfigFactory.load());
    LoopTransport transport =
        LoopTransport.start(system, 1, ChannelStage.Options.defaults())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    relay =
        transport
            .bind(
                new InetSocketAddress(lo, 0),
                16,
                remote ->
                    Http1Relay.flow(
                        transport.connect(server.getAddress()), HeadParser.Limits.defaults()))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    relay.close();
    server.stop(0);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Test
  void keepAliveRequestsWithBodiesPassOverOneUpstreamConnection() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI uri = URI.create("http://127.0.0.1:" + relay.localAddress().getPort() + "/x");
    byte[] big = new byte[1024 * 1024];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    upstreamPeers.clear();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> get =
          client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, get.statusCode());
      assertEquals("GET 0 ", get.body());
      HttpResponse<byte[]> chunked =
          client.send(
              HttpRequest.newBuilder(uri)
                  .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, chunked.statusCode());
      byte[] got = chunked.body();
      String prefix = "POST " + big.length + " ";
      assertEquals(prefix, new String(got, 0, prefix.length(), StandardCharsets.US_ASCII));
      for (int j = 0; j < big.length; j++) {
        if (got[prefix.length() + j] != big[j]) {
          throw new AssertionError("body differs at " + j);
        }
      }
    }
    assertEquals(1, upstreamPeers.size(), "one upstream connection: " + upstreamPeers);
  }

  @Test
  void smugglingAttemptIsAnswered400AndClosed() throws Exception {
    int before = requestsSeen;
    try (Socket s = new Socket()) {
      s.connect(relay.localAddress(), 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /ok HTTP/1.1\r\nHost: h\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\n"
                  + "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(all.startsWith("HTTP/1.1 200 "), all);
      int second = all.indexOf("HTTP/1.1 400 Bad Request\r\n");
      assertTrue(second > 0, all);
      assertTrue(all.substring(second).contains("Connection: close\r\n"), all);
    }
    assertEquals(before + 1, requestsSeen, "only the first request reached the server");
    assertNull(seenConnectionHeaders.isEmpty() ? null : "Upgrade reached the server");
  }
}
