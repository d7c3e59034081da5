package io.trellis.proxy;

import io.trellis.config.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An app that speaks no HTTP: it echoes every byte it reads, and counts the connections it
 * accepted (so a test can assert that nothing reached it). Optionally speaks first.
 */
final class EchoApp implements AutoCloseable {
  private final ServerSocket server;
  private final AtomicInteger accepted = new AtomicInteger();
  private final String greeting;

  private EchoApp(ServerSocket server, String greeting) {
    this.server = server;
    this.greeting = greeting;
    Thread t = new Thread(this::acceptLoop, "echo-app-" + server.getLocalSocketAddress());
    t.setDaemon(true);
    t.start();
  }

  /** @param greeting sent as soon as a connection is accepted (server speaks first), or null */
  static EchoApp start(HostPort at, String greeting) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(at.host(), at.port()));
    return new EchoApp(server, greeting);
  }

  int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        Thread t = new Thread(() -> echo(s));
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void echo(Socket s) {
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      if (greeting != null) {
        out.write(greeting.getBytes());
        out.flush();
      }
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException ignored) {
      // the peer went away
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
