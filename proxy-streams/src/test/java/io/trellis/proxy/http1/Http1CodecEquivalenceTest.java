package io.trellis.proxy.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Header;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The byte-level {@link HeadParser} and array-writing {@link Http1Encoder} against the String-based
 * implementation they replaced ({@link ReferenceHeadParser}, {@link ReferenceHttp1Encoder}): the
 * same heads, the same statuses and reasons, the same bytes, on a corpus of real and broken heads
 * and on thousands of seeded mutations of it; heads parsed where they lie inside a larger array;
 * responses split across reads at every byte decode the same as in one read.
 */
class Http1CodecEquivalenceTest {
  private static final HeadParser.Limits LIMITS = new HeadParser.Limits(60 * 1024, 8);

  private static final List<String> REQUESTS =
      List.of(
          "GET / HTTP/1.1\r\nHost: 127.0.0.31:4140\r\n\r\n",
          "GET /p?q=1 HTTP/1.1\r\nHost: svc.ns:8080\r\nUser-Agent: curl/7.88.1\r\n"
              + "Accept: */*\r\n\r\n",
          "POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\nX-A: one\r\n\r\n",
          "PUT /b HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n",
          "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
          "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,CHUNKED , \r\n\r\n",
          "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n",
          "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
          "PUT /b HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
          "GET /c HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
          "GET /c HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: x\r\nX\r\n\r\n",
          "OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Obs: caf\u00e9\t \r\nX-Empty:\r\n\r\n",
          "M-SEARCH /x HTTP/1.1\r\nHost: h\r\nConnection: X-Private, Upgrade\r\nX-Private: s\r\n"
              + "Keep-Alive: 5\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nTE: trailers\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nTE: gzip\r\nte:  Trailers \r\n\r\n",
          "GET / HTTP/1.1\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
          "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
          "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
          "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
          "GET /\u00ff HTTP/1.1\r\nHost: h\r\n\r\n",
          "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
          "GET / HTTX/1.1\r\nHost: h\r\n\r\n",
          "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
          "GET / HTTP/1.1\rHost: h\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX-Bad : v\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX-Bad\t: v\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX-Bad: a\u0000b\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX-Bad: a\u007fb\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n folded\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX-Bad\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nX(Bad): v\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n"
              + "G: 7\r\n\r\n", // 8 headers: LIMITS' most
          "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n"
              + "G: 7\r\nX Y\r\n\r\n", // 9 lines: 431 before the broken one
          "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n",
          "\r\n");

  private static final List<String> RESPONSES =
      List.of(
          "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 01:00:00 GMT\r\n"
              + "Content-Type: text/plain\r\nContent-Length: 85\r\nConnection: keep-alive\r\n\r\n",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
          "HTTP/1.1 204 No Content\r\nContent-Length: nope\r\nTransfer-Encoding: chunked\r\n\r\n",
          "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
          "HTTP/1.1 100 Continue\r\n\r\n",
          "HTTP/1.0 200 OK\r\n\r\n",
          "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
          "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
          "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n",
          "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n",
          "HTTP/1.1 200 Fine \u00e9\r\nContent-Length: 1\r\n\r\n",
          "HTTP/1.1 099 Low\r\n\r\n",
          "HTTP/1.1 +20 Plus\r\n\r\n",
          "HTTP/1.1 2x0 X\r\n\r\n",
          "HTTP/1.2 200 OK\r\n\r\n",
          "HTTP/1.x 200 OK\r\n\r\n",
          "HTTP/1.1  200 OK\r\n\r\n",
          "HTTP/1.1 2000 OK\r\n\r\n",
          "HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 2\r\n\r\n",
          "\r\n");

  private static final List<String> TRAILERS =
      List.of("A: 1\r\nB: 2\r\n\r\n", "\r\n", "Content-Length: x\r\nT: v\r\n\r\n", "bad\r\n\r\n");

  private static ActorSystem system;
  private static Materializer mat;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("http1-codec-equivalence-test");
    mat = Materializer.matFromSystem(system);
  }

  @AfterAll
  static void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private interface Parse {
    Object run() throws MalformedHttp;
  }

  /** The value, or the status and reason of the rule broken, or the exception that escaped. */
  private static Object outcome(Parse p) {
    try {
      return p.run();
    } catch (MalformedHttp e) {
      return List.of(e.status(), e.getMessage());
    } catch (RuntimeException e) {
      return "crash: " + e.getClass().getSimpleName();
    }
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Every way of reading {@code block} agrees with the reference; returns the heads parsed. */
  private static List<Head> checkBlock(byte[] block) {
    ByteString bytes = ByteString.fromArray(block);
    List<Head> heads = new ArrayList<>();
    // The same block inside a larger array, as the decoder parses a head followed by its body.
    byte[] framed = new byte[block.length + 7];
    System.arraycopy(block, 0, framed, 3, block.length);
    framed[0] = 'X';
    framed[framed.length - 1] = '\n';
    String what = new String(block, StandardCharsets.ISO_8859_1);

    Object want = outcome(() -> ReferenceHeadParser.request(bytes, LIMITS));
    Object got = outcome(() -> HeadParser.request(bytes, LIMITS));
    Object inPlace = outcome(() -> HeadParser.request(framed, 3, 3 + block.length, LIMITS));
    compare(want, got, "request " + what);
    assertEquals(got, inPlace, "request in place " + what);
    if (got instanceof Head h) {
      heads.add(h);
    }
    for (boolean headRequest : new boolean[] {false, true}) {
      want = outcome(() -> ReferenceHeadParser.response(bytes, headRequest, LIMITS));
      got = outcome(() -> HeadParser.response(bytes, headRequest, LIMITS));
      inPlace =
          outcome(() -> HeadParser.response(framed, 3, 3 + block.length, headRequest, LIMITS));
      compare(want, got, "response " + what);
      assertEquals(got, inPlace, "response in place " + what);
      if (got instanceof Head h) {
        heads.add(h);
      }
    }
    want = outcome(() -> ReferenceHeadParser.trailers(bytes, LIMITS));
    got = outcome(() -> HeadParser.trailers(bytes, LIMITS));
    compare(want, got, "trailers " + what);
    if (got instanceof List<?> trailers
        && !trailers.isEmpty()
        && trailers.get(0) instanceof Header) {
      @SuppressWarnings("unchecked")
      List<Header> t = (List<Header>) trailers;
      assertEquals(
          ReferenceHttp1Encoder.lastChunk(t), Http1Encoder.lastChunk(t), "last chunk " + what);
    }
    return heads;
  }

  /**
   * Equal outcomes; where the reference crashed (a head without a start line, which the decoder
   * never hands over), the new parser answers 400 instead.
   */
  private static void compare(Object want, Object got, String what) {
    if (want instanceof String crash) {
      assertInstanceOf(List.class, got, what + ": reference " + crash);
      assertEquals(400, ((List<?>) got).get(0), what);
    } else {
      assertEquals(want, got, what);
    }
  }

  private static void checkEncoding(Head h) {
    assertEquals(
        ReferenceHttp1Encoder.head(h).utf8String(), Http1Encoder.head(h).utf8String(), "" + h);
    Head flipped =
        new Head(
            h.method(), h.target(), h.status(), h.reason(), h.version(), h.headers(), h.framing(),
            !h.keepAlive());
    assertEquals(ReferenceHttp1Encoder.head(flipped), Http1Encoder.head(flipped), "" + flipped);
  }

  @Test
  void corpusParsesAndEncodesAsTheReference() {
    int heads = 0;
    for (String s : concat(REQUESTS, RESPONSES, TRAILERS)) {
      for (Head h : checkBlock(latin1(s))) {
        checkEncoding(h);
        heads++;
      }
    }
    assertTrue(heads > 30, "the corpus parses: " + heads + " heads");
  }

  @Test
  void mutatedHeadsParseAndEncodeAsTheReference() {
    byte[] interesting = latin1(" \t\r\n:,;0aA-zZ9/.\u0000\u007f\u00ff\u00e9");
    List<String> corpus = concat(REQUESTS, RESPONSES, TRAILERS);
    Random random = new Random(20261125L);
    int heads = 0;
    int malformed = 0;
    for (int n = 0; n < 30_000; n++) {
      byte[] b = latin1(corpus.get(random.nextInt(corpus.size())));
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        b = mutate(b, random, interesting);
      }
      int end = HeadParser.blockEnd(ByteString.fromArray(b), 0, 0);
      if (end <= 0) {
        continue;
      }
      byte[] block = java.util.Arrays.copyOf(b, end);
      List<Head> parsed = checkBlock(block);
      for (Head h : parsed) {
        checkEncoding(h);
      }
      heads += parsed.size();
      malformed += parsed.isEmpty() ? 1 : 0;
    }
    assertTrue(heads > 3_000 && malformed > 10_000, heads + " heads, " + malformed + " malformed");
  }

  private static byte[] mutate(byte[] b, Random random, byte[] interesting) {
    int at = random.nextInt(b.length);
    byte c = interesting[random.nextInt(interesting.length)];
    switch (random.nextInt(3)) {
      case 0 -> {
        byte[] r = b.clone();
        r[at] = c;
        return r;
      }
      case 1 -> {
        byte[] r = new byte[b.length + 1];
        System.arraycopy(b, 0, r, 0, at);
        r[at] = c;
        System.arraycopy(b, at, r, at + 1, b.length - at);
        return r;
      }
      default -> {
        if (b.length < 2) {
          return b;
        }
        byte[] r = new byte[b.length - 1];
        System.arraycopy(b, 0, r, 0, at);
        System.arraycopy(b, at + 1, r, at, b.length - at - 1);
        return r;
      }
    }
  }

  @Test
  void blockEndAndResumeAtAgreeWithTheReferenceOnSplitBuffers() {
    String wire = REQUESTS.get(1) + "body\n\r\nmore\r\n";
    for (int split = 0; split <= wire.length(); split++) {
      ByteString buf =
          ByteString.fromString(wire.substring(0, split))
              .concat(ByteString.fromString(wire.substring(split)));
      for (int scanFrom = 0; scanFrom <= wire.length(); scanFrom++) {
        if (scanFrom > 0 && wire.charAt(scanFrom - 1) != '\n') {
          continue; // scanFrom is a line start
        }
        assertEquals(
            ReferenceHeadParser.blockEnd(buf, 0, scanFrom),
            HeadParser.blockEnd(buf, 0, scanFrom),
            split + "/" + scanFrom);
        assertEquals(
            ReferenceHeadParser.resumeAt(buf, scanFrom),
            HeadParser.resumeAt(buf, scanFrom),
            split + "/" + scanFrom);
      }
    }
  }

  @Test
  void encodedChunksAreAsTheReference() {
    for (int size : new int[] {0, 1, 15, 16, 255, 4096, 65536}) {
      ByteString data = ByteString.fromArray(new byte[size]).concat(ByteString.fromString("tail"));
      ByteString slice = data.drop(2);
      assertEquals(ReferenceHttp1Encoder.chunk(data), Http1Encoder.chunk(data), "size " + size);
      assertEquals(ReferenceHttp1Encoder.chunk(slice), Http1Encoder.chunk(slice), "slice " + size);
    }
    assertEquals(ByteString.emptyByteString(), Http1Encoder.chunk(ByteString.emptyByteString()));
  }

  private static final String RESPONSE_WIRE =
      RESPONSES.get(0)
          + "x".repeat(85)
          + "HTTP/1.1 100 Continue\r\n\r\n"
          + "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" // to a HEAD: no body
          + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
          + "HTTP/1.1 204 No Content\r\n\r\n"
          + "HTTP/1.0 200 OK\r\n\r\nuntil the end";

  private static List<Object> responses(List<ByteString> reads) throws Exception {
    Queue<String> methods = new ArrayDeque<>(List.of("GET", "HEAD", "POST", "DELETE", "GET"));
    return Http1CodecTest.normalized(
        Source.from(reads)
            .via(Http1Decoder.responses(methods, HeadParser.Limits.defaults()))
            .runWith(Sink.seq(), mat)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS));
  }

  @Test
  void responsesSplitAtEveryByteDecodeTheSame() throws Exception {
    List<Object> whole = responses(List.of(ByteString.fromString(RESPONSE_WIRE)));
    assertEquals(15, whole.size(), whole.toString());
    assertEquals(new Http1Part.Length(85), ((Head) whole.get(0)).framing());
    assertEquals("x".repeat(85), whole.get(1));
    assertEquals(Http1Part.Empty.class, ((Head) whole.get(5)).framing().getClass(), "HEAD");
    assertEquals("until the end", whole.get(13));
    for (int i = 1; i < RESPONSE_WIRE.length(); i++) {
      List<ByteString> reads =
          List.of(
              ByteString.fromString(RESPONSE_WIRE.substring(0, i)),
              ByteString.fromString(RESPONSE_WIRE.substring(i)));
      assertEquals(whole, responses(reads), "split at " + i);
    }
    List<ByteString> bytes = new ArrayList<>();
    for (int i = 0; i < RESPONSE_WIRE.length(); i++) {
      bytes.add(ByteString.fromString(RESPONSE_WIRE.substring(i, i + 1)));
    }
    assertEquals(whole, responses(bytes), "one byte at a time");
  }

  @SafeVarargs
  private static List<String> concat(List<String>... lists) {
    List<String> all = new ArrayList<>();
    for (List<String> l : lists) {
      all.addAll(l);
    }
    return all;
  }
}
