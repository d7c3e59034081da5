package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chunked (unknown-length) HTTP/1.1 bodies through both sidecars (the client's outbound, the
 * server's inbound, the app), both ways: a chunked request is answered on a connection that stays
 * open for the next request, and a chunked response leaves the upstream connection open for the
 * next one and counts as a success, as Content-Length bodies do.
 */
class SidecarChunkedBodiesTest extends SidecarTestKit {
  Sidecar client;
  Sidecar server;
  Sidecar chunkyServer;
  final AtomicInteger chunkyConnections = new AtomicInteger();

  @BeforeAll
  void startMesh() {
    mesh.service("web", 80).service("chunky", 80);
    WorkloadConfig web = mesh.workload("web", "web");
    WorkloadConfig chunky = mesh.workload("chunky", "chunky");
    client = sidecar(mesh.workload("client"));
    server = sidecar(web);
    app(web);
    chunkyServer = sidecar(chunky);
    chunkyApp(chunky);
  }

  /** An app that answers every request with a two-chunk body and counts its connections. */
  private void chunkyApp(WorkloadConfig workload) {
    Materializer mat = Materializer.matFromSystem(system);
    ServerBinding binding =
        Http.get(system)
            .newServerAt(workload.app().host(), workload.app().port())
            .connectionSource()
            .to(
                Sink.foreach(
                    connection -> {
                      chunkyConnections.incrementAndGet();
                      connection.handleWithSyncHandler(
                          request -> {
                            request.discardEntityBytes(mat);
                            return HttpResponse.create()
                                .withEntity(
                                    HttpEntities.createChunked(
                                        ContentTypes.TEXT_PLAIN_UTF8,
                                        Source.from(List.of(bytes("chunk "), bytes("by chunk")))));
                          },
                          mat);
                    }))
            .run(mat)
            .toCompletableFuture()
            .join();
    started.push(() -> binding.unbind().toCompletableFuture().join());
  }

  @Test
  void chunkedBodySentInSeveralWritesIsAnsweredAndTheConnectionServesTheNextRequest()
      throws IOException {
    try (Socket socket = connect(client.outboundAddress())) {
      for (int i = 0; i < 3; i++) {
        send(socket, "POST /drain HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\n");
        send(socket, "5\r\nhello\r\n");
        send(socket, "6\r\n world\r\n");
        send(socket, "0\r\n\r\n");
        Response answer = Response.read(socket.getInputStream());
        assertEquals("HTTP/1.1 200 OK", answer.statusLine, answer.head);
        assertEquals("web HTTP/1.1 bytes=11", answer.body);
        assertFalse(
            answer.head.toLowerCase(Locale.ROOT).contains("connection: close"), answer.head);
      }
      send(socket, "GET /later HTTP/1.1\r\nHost: web\r\n\r\n");
      assertEquals("HTTP/1.1 200 OK", Response.read(socket.getInputStream()).statusLine);
    }
  }

  @Test
  void javaHttpClientStreamsAnUnknownLengthUpload() throws Exception {
    // Java's HttpClient cannot set Host without a system property, so it calls the inbound
    // listener, which sends everything to the app.
    InetSocketAddress inbound = server.inboundAddress();
    HttpClient javaClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    int size = 2 * 1024 * 1024;
    for (int i = 0; i < 3; i++) {
      var request =
          java.net.http.HttpRequest.newBuilder(
                  URI.create(
                      "http://" + inbound.getHostString() + ":" + inbound.getPort() + "/drain"))
              .timeout(AWAIT)
              .POST(
                  java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                      () -> new java.io.ByteArrayInputStream(new byte[size])))
              .build();
      var response = javaClient.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertEquals("web HTTP/1.1 bytes=" + size, response.body());
    }
  }

  @Test
  void chunkedResponsesReuseTheUpstreamConnectionAndCountAsSuccesses() throws Exception {
    int requests = 10;
    // Once the client's proxy knows chunky's endpoints (the first request may come before)...
    assertEquals(
        "chunk by chunk", body(h1(client.outboundAddress(), HttpRequest.GET("http://chunky/"))));
    int before = chunkyConnections.get();
    // ...requests one after the other on one keep-alive client connection take at most one new
    // connection to the app (the fused path keeps upstream connections per client connection,
    // the pekko path pools them per endpoint), reused for every request.
    try (Socket socket = connect(client.outboundAddress())) {
      for (int i = 0; i < requests; i++) {
        send(socket, "GET / HTTP/1.1\r\nHost: chunky\r\n\r\n");
        Response answer = Response.read(socket.getInputStream());
        assertEquals("HTTP/1.1 200 OK", answer.statusLine, answer.head);
        assertEquals("chunk by chunk", answer.body);
      }
    }
    assertTrue(chunkyConnections.get() - before <= 1, chunkyConnections.get() + " - " + before);
    Map<String, String> inbound =
        Map.of(
            "direction", "inbound",
            "authority", "chunky",
            "tls", "disabled",
            "status_code", "200",
            "classification", "success");
    // the first request and the ten
    await(
        (requests + 1) + " successes in " + inbound,
        () -> {
          var admin = chunkyServer.adminAddress();
          String text =
              body(h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/metrics")));
          List<PrometheusText.Sample> found =
              PrometheusText.parse(text).exact("response_total", inbound);
          return found.size() == 1 && found.get(0).value() == requests + 1
              ? Optional.of(true)
              : Optional.empty();
        });
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

  /** One HTTP/1.1 response with a Content-Length or chunked body. */
  private record Response(String head, String statusLine, String body) {
    static Response read(InputStream in) throws IOException {
      String head = readHead(in);
      String[] lines = head.split("\r\n");
      int length = 0;
      boolean chunked = false;
      for (String line : lines) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        }
      }
      if (!chunked) {
        return new Response(
            head, lines[0], new String(in.readNBytes(length), StandardCharsets.UTF_8));
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        int size = Integer.parseInt(readLine(in).split(";")[0].trim(), 16);
        if (size == 0) {
          while (!readLine(in).isEmpty()) {
            // trailers
          }
          return new Response(head, lines[0], body.toString(StandardCharsets.UTF_8));
        }
        body.write(in.readNBytes(size));
        readLine(in);
      }
    }

    private static String readLine(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("connection closed in a chunked body");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
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
