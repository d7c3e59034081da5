package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fused path's upstream connections against an app that misbehaves the ways servers do:
 * closing idle keep-alive connections, bodies larger than a read, many chunks in one write,
 * responses to HEAD, bodies delimited by the connection's end, broken and truncated responses,
 * bytes nobody asked for. Client -> outbound proxy -> inbound proxy -> a scripted app on a plain
 * socket, so both proxies' upstream connections are exercised. Plaintext upstream connections are
 * the proxy's own sockets here ({@code trellis.proxy.transport.direct-upstreams = on}, the
 * default); {@link FusedUpstreamsSubStreamsTest} runs the same scenarios with them as sub-streams.
 */
class FusedUpstreamsTest extends SidecarTestKit {
  static final byte[] BIG = new byte[1 << 20];

  static {
    for (int i = 0; i < BIG.length; i++) {
      BIG[i] = (byte) (i * 31 + (i >> 11));
    }
  }

  Sidecar client;
  ScriptedApp app;

  @BeforeAll
  void startMesh() throws IOException {
    mesh.service("web", 80);
    client = sidecar(mesh.workload("client"));
    WorkloadConfig web = mesh.workload("web", "web");
    sidecar(web);
    app = new ScriptedApp(new InetSocketAddress(InetAddress.getByName(web.app().host()), web.app().port()));
  }

  @AfterAll
  void stopApp() throws IOException {
    app.close();
  }

  @Test
  void aServerClosingIdleConnectionsIsReconnectedTo() throws Exception {
    try (Socket s = connect()) {
      int before = app.accepted.get();
      for (int i = 0; i < 3; i++) {
        send(s, "GET /close-after HTTP/1.1\r\nHost: web\r\n\r\n");
        Response r = read(s);
        assertEquals(200, r.status, r.head);
        assertEquals("closing after this", r.text());
        // the app closed the connection: the next request must not be lost on it
        int seen = before + i + 1;
        await("the app's connection " + seen + " closed", () -> app.closed.get() >= seen ? Optional.of(true) : Optional.empty());
      }
      assertEquals(before + 3, app.accepted.get(), "one new app connection per request");
    }
  }

  @Test
  void aBodyOfManyReadsArrivesWhole() throws Exception {
    try (Socket s = connect()) {
      for (int i = 0; i < 2; i++) { // and the connections stay usable after it
        send(s, "GET /big HTTP/1.1\r\nHost: web\r\n\r\n");
        Response r = read(s);
        assertEquals(200, r.status, r.head);
        assertArrayEquals(BIG, r.body, "1 MiB body, byte for byte");
      }
    }
  }

  @Test
  void manyChunksInOneWriteAllArrive() throws Exception {
    try (Socket s = connect()) {
      send(s, "GET /chunks HTTP/1.1\r\nHost: web\r\n\r\n");
      Response r = read(s);
      assertEquals(200, r.status, r.head);
      assertEquals("0123456789".repeat(50), r.text());
      send(s, "GET /ok HTTP/1.1\r\nHost: web\r\n\r\n");
      assertEquals("ok", read(s).text());
    }
  }

  @Test
  void aResponseToHeadHasNoBody() throws Exception {
    try (Socket s = connect()) {
      send(s, "HEAD /head HTTP/1.1\r\nHost: web\r\n\r\n");
      Response head = read(s, true);
      assertEquals(200, head.status, head.head);
      assertTrue(head.head.toLowerCase().contains("content-length: 1234"), head.head);
      // the next response on the same connections is read as what it is
      send(s, "GET /ok HTTP/1.1\r\nHost: web\r\n\r\n");
      Response next = read(s);
      assertEquals(200, next.status, next.head);
      assertEquals("ok", next.text());
    }
  }

  @Test
  void aBodyDelimitedByTheConnectionsEndArrives() throws Exception {
    try (Socket s = connect()) {
      send(s, "GET /until-close HTTP/1.1\r\nHost: web\r\n\r\n");
      Response r = read(s);
      assertEquals(200, r.status, r.head);
      assertEquals("until the end", r.text());
    }
  }

  @Test
  void aBrokenResponseIs502() throws Exception {
    try (Socket s = connect()) {
      send(s, "GET /broken HTTP/1.1\r\nHost: web\r\n\r\n");
      Response r = read(s);
      assertEquals(502, r.status, r.head + r.text());
      // and the proxy goes on serving on the same client connection
      send(s, "GET /ok HTTP/1.1\r\nHost: web\r\n\r\n");
      assertEquals("ok", read(s).text());
    }
  }

  @Test
  void aTruncatedBodyClosesTheClientsConnection() throws Exception {
    try (Socket s = connect()) {
      send(s, "GET /truncated HTTP/1.1\r\nHost: web\r\n\r\n");
      byte[] all = s.getInputStream().readAllBytes(); // until the proxy closes the connection
      String text = new String(all, StandardCharsets.ISO_8859_1);
      assertTrue(text.startsWith("HTTP/1.1 200"), text);
      assertTrue(text.endsWith("only ten b"), "what the app sent and no more: " + text);
    }
    // the proxies go on serving
    try (Socket s = connect()) {
      send(s, "GET /ok HTTP/1.1\r\nHost: web\r\n\r\n");
      assertEquals("ok", read(s).text());
    }
  }

  @Test
  void bytesNobodyAskedForDoNotBecomeTheNextResponse() throws Exception {
    try (Socket s = connect()) {
      send(s, "GET /then-garbage HTTP/1.1\r\nHost: web\r\n\r\n");
      assertEquals("first", read(s).text());
      await("the garbage written", () -> app.garbageSent.get() > 0 ? Optional.of(true) : Optional.empty());
      send(s, "GET /ok HTTP/1.1\r\nHost: web\r\n\r\n");
      Response r = read(s);
      // never the garbage: a retry on a new connection (the request had no body) answers it
      assertEquals(200, r.status, r.head + r.text());
      assertEquals("ok", r.text());
    }
  }

  // ---- client side ------------------------------------------------------------------------

  Socket connect() throws IOException {
    InetSocketAddress out = client.outboundAddress();
    Socket s = new Socket(out.getAddress(), out.getPort());
    s.setSoTimeout((int) AWAIT.toMillis());
    return s;
  }

  static void send(Socket s, String request) throws IOException {
    s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  record Response(int status, String head, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  static Response read(Socket s) throws IOException {
    return read(s, false);
  }

  /** One response (Content-Length, chunked or until the end of the connection). */
  static Response read(Socket s, boolean headOnly) throws IOException {
    InputStream in = s.getInputStream();
    String head = line(in);
    String lines = head + "\r\n";
    long length = -1;
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      lines += h + "\r\n";
      String lower = h.toLowerCase();
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(h.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    int status = Integer.parseInt(head.split(" ")[1]);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (headOnly) {
      // no body
    } else if (chunked) {
      for (long size = Long.parseLong(line(in).trim(), 16); size > 0; size = Long.parseLong(line(in).trim(), 16)) {
        body.write(in.readNBytes((int) size));
        line(in);
      }
      line(in); // the empty trailer section
    } else if (length >= 0) {
      body.write(in.readNBytes((int) length));
    } else {
      body.write(in.readAllBytes());
    }
    return new Response(status, lines, body.toByteArray());
  }

  static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed in a line: " + b);
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  // ---- the app ------------------------------------------------------------------------------

  /** An HTTP/1.1 app on a plain socket that answers each path with a fixed (mis)behaviour. */
  static final class ScriptedApp implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    final AtomicInteger garbageSent = new AtomicInteger();

    ScriptedApp(InetSocketAddress at) throws IOException {
      server = new ServerSocket();
      server.bind(at);
      Thread acceptor = new Thread(this::accept, "scripted-app");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          accepted.incrementAndGet();
          Thread t = new Thread(() -> serve(s), "scripted-app-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
          String requestLine;
          try {
            requestLine = line(in);
          } catch (IOException end) {
            return;
          }
          while (!line(in).isEmpty()) {
            // headers: the test requests have no body
          }
          String[] parts = requestLine.split(" ");
          String path = parts[1];
          switch (path) {
            case "/close-after" -> {
              write(out, "HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\nclosing after this");
              return;
            }
            case "/big" -> {
              write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + BIG.length + "\r\n\r\n");
              out.write(BIG);
              out.flush();
            }
            case "/chunks" -> {
              StringBuilder b = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
              for (int i = 0; i < 50; i++) {
                b.append("a\r\n0123456789\r\n");
              }
              b.append("0\r\n\r\n");
              write(out, b.toString());
            }
            case "/head" -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
            case "/until-close" -> {
              write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
              return;
            }
            case "/broken" -> write(out, "HTTP/1.1 abc\r\n\r\n");
            case "/truncated" -> {
              write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b");
              return;
            }
            case "/then-garbage" -> {
              write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
              write(out, "garbage nobody asked for\r\n\r\n");
              garbageSent.incrementAndGet();
            }
            default -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          }
        }
      } catch (SocketException e) {
        // the proxy closed the connection
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } finally {
        closed.incrementAndGet();
      }
    }

    private static void write(OutputStream out, String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
