package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.WorkloadConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Oversized request heads are refused with 431 before they reach the pipeline. */
class HeaderLimitsTest extends SidecarTestKit {
  Sidecar sidecar;

  @BeforeAll
  void start() {
    WorkloadConfig w = mesh.workload("limits");
    sidecar = sidecar(w);
    app(w);
  }

  /** Sends a raw HTTP/1.1 head and returns the status line of the answer. */
  String statusLine(String head) throws IOException {
    try (Socket s =
        new Socket(sidecar.inboundAddress().getAddress(), sidecar.inboundAddress().getPort())) {
      s.setSoTimeout((int) AWAIT.toMillis());
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != '\r' && c != -1; c = in.read()) {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  @Test
  void oneHundredHeadersIs431() throws IOException {
    StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: limits\r\n");
    for (int i = 0; i < 99; i++) {
      head.append("x-h").append(i).append(": v\r\n");
    }
    assertEquals("HTTP/1.1 431 Request Header Fields Too Large", statusLine(head + "\r\n"));
  }

  @Test
  void ninetyNineHeadersPass() throws IOException {
    // pekko-http checks the count before it sees the blank line, so a limit of 100 admits 99.
    StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: limits\r\n");
    for (int i = 0; i < 98; i++) {
      head.append("x-h").append(i).append(": v\r\n");
    }
    assertEquals("HTTP/1.1 200 OK", statusLine(head + "\r\n"));
  }

  @Test
  void headerValueOverSixtyKibIs431() throws IOException {
    String head = "GET / HTTP/1.1\r\nHost: limits\r\nx-big: " + "a".repeat(61 * 1024) + "\r\n\r\n";
    assertEquals("HTTP/1.1 431 Request Header Fields Too Large", statusLine(head));
  }
}
