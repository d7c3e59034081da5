package io.trellis.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The generator's response framing: a response read too early or too late would put the next
 * request's latency on the wrong response, so framing is checked byte by byte here.
 */
class ResponseParsingTest {

  private static OpenLoopLoad.Conn conn() {
    OpenLoopLoad.Conn c = new OpenLoopLoad.Conn(null);
    c.resetParser();
    return c;
  }

  private static void feed(OpenLoopLoad.Conn c, String s) {
    c.in.put(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void contentLengthCompletesOnlyWhenTheWholeBodyIsIn() throws IOException {
    OpenLoopLoad.Conn c = conn();
    feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
    assertFalse(c.parse());
    feed(c, "lo");
    assertTrue(c.parse());
    assertEquals(200, c.status);
    assertFalse(c.closeAfter);
  }

  @Test
  void headersSplitAcrossReads() throws IOException {
    OpenLoopLoad.Conn c = conn();
    feed(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Le");
    assertFalse(c.parse());
    feed(c, "ngth: 0\r\nConnection: close\r\n\r\n");
    assertTrue(c.parse());
    assertEquals(503, c.status);
    assertTrue(c.closeAfter);
  }

  @Test
  void chunkedWithExtensionsAndTrailers() throws IOException {
    OpenLoopLoad.Conn c = conn();
    feed(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n");
    assertFalse(c.parse());
    feed(c, "2\r\nef\r\n0\r\nTrailer-A: 1\r\n");
    assertFalse(c.parse());
    feed(c, "\r\n");
    assertTrue(c.parse());
  }

  @Test
  void http10ClosesUnlessKeepAlive() throws IOException {
    OpenLoopLoad.Conn c = conn();
    feed(c, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    assertTrue(c.parse());
    assertTrue(c.closeAfter);
    c = conn();
    feed(c, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    assertTrue(c.parse());
    assertFalse(c.closeAfter);
  }

  @Test
  void responseWithoutFramingIsRejected() {
    OpenLoopLoad.Conn c = conn();
    feed(c, "HTTP/1.1 200 OK\r\n\r\nbody until close");
    assertThrows(IOException.class, c::parse);
  }
}
