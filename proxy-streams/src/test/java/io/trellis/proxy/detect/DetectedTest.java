package io.trellis.proxy.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** What a connection's first bytes are taken for, and when they are enough to tell. */
class DetectedTest {
  private static ByteString bytes(String s) {
    return ByteString.fromString(s);
  }

  private static ByteString raw(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return ByteString.fromArray(out);
  }

  @Test
  void anHttp1RequestLineIsHttp1OnceItsLineEnds() {
    assertFalse(Detected.decisive(bytes("GE")));
    assertFalse(Detected.decisive(bytes("GET /path HTTP/1.")));
    assertTrue(Detected.decisive(bytes("GET /path HTTP/1.1\r\n")));
    assertEquals(Detected.HTTP1, Detected.of(bytes("GET /path HTTP/1.1\r\nHost: x\r\n\r\n")));
    assertEquals(Detected.HTTP1, Detected.of(bytes("DELETE / HTTP/1.0\n")));
  }

  @Test
  void aLineThatIsNotARequestLineIsOpaque() {
    // Redis inline command, SMTP-like chatter: a token and a space, but no HTTP version
    assertEquals(Detected.OPAQUE, Detected.of(bytes("SET key value\r\n")));
    assertEquals(Detected.OPAQUE, Detected.of(bytes("EHLO example.com\r\n")));
  }

  @Test
  void aByteNoMethodHasDecidesOpaqueAtOnce() {
    assertTrue(Detected.decisive(bytes("*2\r\n$3\r\nGET")));
    assertEquals(Detected.OPAQUE, Detected.of(bytes("*2\r\n$3\r\nGET")));
    assertTrue(Detected.decisive(raw(0, 1, 2)));
    assertEquals(Detected.OPAQUE, Detected.of(raw(0, 1, 2)));
    assertEquals(Detected.OPAQUE, Detected.of(bytes(" GET / HTTP/1.1\r\n")));
  }

  @Test
  void aTlsRecordHeaderIsTls() {
    assertFalse(Detected.decisive(raw(0x16)));
    assertTrue(Detected.decisive(raw(0x16, 0x03)));
    assertEquals(Detected.TLS, Detected.of(raw(0x16, 0x03, 0x01, 0x02, 0x00)));
    assertEquals(Detected.OPAQUE, Detected.of(raw(0x16, 0x04)));
  }

  @Test
  void theHttp2PrefaceIsWaitedForWhole() {
    String preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    assertFalse(Detected.decisive(bytes(preface.substring(0, 10))));
    assertTrue(Detected.decisive(bytes(preface)));
    assertEquals(Detected.HTTP2, Detected.of(bytes(preface)));
  }

  @Test
  void whatArrivesBeforeTheBoundOrTimeoutDecides() {
    // nothing at all within the timeout: opaque (a server-speaks-first client)
    assertEquals(Detected.OPAQUE, Detected.of(ByteString.emptyByteString()));
    // a request line cut by the size bound is still HTTP/1 (its server answers 414)
    assertEquals(Detected.HTTP1, Detected.of(bytes("GET /" + "a".repeat(100))));
  }
}
