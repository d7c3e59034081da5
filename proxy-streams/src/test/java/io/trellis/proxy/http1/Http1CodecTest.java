package io.trellis.proxy.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.proxy.http1.Http1Part.Data;
import io.trellis.proxy.http1.Http1Part.End;
import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Header;
import io.trellis.proxy.http1.Http1Part.Malformed;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Http1Decoder}, {@link HeadParser} and {@link Http1Encoder}: every security-anchor rule
 * of REFERENCE.md answers its status; heads split at every byte boundary and pipelined requests
 * decode the same; chunked edge cases (extensions, trailers, upper-case sizes); a 1 MiB body to a
 * slow consumer is never buffered; re-encoding drops hop-by-hop headers and sets framing.
 */
class Http1CodecTest {
  private static ActorSystem system;
  private static Materializer mat;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("http1-codec-test");
    mat = Materializer.matFromSystem(system);
  }

  @AfterAll
  static void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private static final String PIPELINED =
      "POST /a?x=1 HTTP/1.1\r\nHost: svc.ns:8080\r\nContent-Length: 5\r\nX-A: one\r\n\r\nhello"
          + "\r\n" // a stray empty line between pipelined requests is tolerated
          + "PUT /b HTTP/1.1\r\nhost: other\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Checksum: 42\r\n\r\n"
          + "GET /c HTTP/1.1\r\nHost: third\r\nConnection: close\r\n\r\n";

  static List<Http1Part> decode(Http1Decoder decoder, List<ByteString> chunks) throws Exception {
    return Source.from(chunks)
        .via(decoder)
        .runWith(Sink.seq(), mat)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  static List<Http1Part> requests(String... chunks) throws Exception {
    return decode(
        Http1Decoder.requests(HeadParser.Limits.defaults()),
        Arrays.stream(chunks).map(ByteString::fromString).toList());
  }

  /** Adjacent Data parts merged, so that different splits compare equal. */
  static List<Object> normalized(List<Http1Part> parts) {
    List<Object> out = new ArrayList<>();
    for (Http1Part p : parts) {
      if (p instanceof Data d && !out.isEmpty() && out.get(out.size() - 1) instanceof String s) {
        out.set(out.size() - 1, s + d.bytes().utf8String());
      } else if (p instanceof Data d) {
        out.add(d.bytes().utf8String());
      } else {
        out.add(p);
      }
    }
    return out;
  }

  @Test
  void pipelinedRequestsDecode() throws Exception {
    List<Object> parts = normalized(requests(PIPELINED));
    assertEquals(8, parts.size(), parts.toString());
    Head a = (Head) parts.get(0);
    assertEquals("POST", a.method());
    assertEquals("/a?x=1", a.target());
    assertEquals("svc.ns", a.host());
    assertEquals(new Http1Part.Length(5), a.framing());
    assertTrue(a.keepAlive());
    assertEquals("hello", parts.get(1));
    assertEquals(new End(List.of()), parts.get(2));
    Head b = (Head) parts.get(3);
    assertEquals(new Http1Part.Chunked(), b.framing());
    assertEquals("abc0123456789", parts.get(4));
    assertEquals(new End(List.of(new Header("X-Checksum", "42"))), parts.get(5));
    Head c = (Head) parts.get(6);
    assertEquals("GET", c.method());
    assertFalse(c.keepAlive());
    assertEquals(new End(List.of()), parts.get(7));
  }

  @Test
  void everySplitPointDecodesTheSame() throws Exception {
    List<Object> whole = normalized(requests(PIPELINED));
    for (int i = 1; i < PIPELINED.length(); i++) {
      assertEquals(
          whole,
          normalized(requests(PIPELINED.substring(0, i), PIPELINED.substring(i))),
          "split at " + i);
    }
    String[] bytes = PIPELINED.split("");
    assertEquals(whole, normalized(requests(bytes)), "one byte at a time");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "CL and TE together|400|Content-Length: 3\\r\\nTransfer-Encoding: chunked",
        "differing duplicate CL|400|Content-Length: 3\\r\\nContent-Length: 4",
        "differing CL list|400|Content-Length: 3, 4",
        "bad CL|400|Content-Length: +3",
        "TE last not chunked|400|Transfer-Encoding: chunked, gzip",
        "TE unknown only|400|Transfer-Encoding: gzip",
        "TE other before chunked|501|Transfer-Encoding: gzip, chunked",
        "space before colon|400|X-Bad : v",
        "tab before colon|400|X-Bad\\t: v",
        "CR in value|400|X-Bad: a\\rb",
        "NUL in value|400|X-Bad: a\\u0000b",
        "obs-fold|400|X-A: a\\r\\n folded",
        "no colon|400|X-Bad",
        "bad name char|400|X(Bad): v",
        "second Host|400|Host: again",
      })
  void malformedHeadersAreRejected(String rule, int status, String extra) throws Exception {
    String head =
        "POST / HTTP/1.1\r\nHost: h\r\n"
            + extra.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")
                .replace("\\u0000", "\u0000")
            + "\r\n\r\n";
    List<Http1Part> parts = requests(head + "abc");
    assertEquals(List.of(new Malformed(status, ((Malformed) parts.get(0)).reason())), parts, rule);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no Host|400|GET / HTTP/1.1\\r\\n\\r\\n",
        "bad request line|400|GET  / HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n",
        "space in target|400|GET /a b HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n",
        "HTTP/2.0|505|GET / HTTP/2.0\\r\\nHost: h\\r\\n\\r\\n",
        "bad version|400|GET / HTTX/1.1\\r\\nHost: h\\r\\n\\r\\n",
        "lone CR|400|GET / HTTP/1.1\\rHost: h\\r\\n\\r\\n",
        "bad chunk size|400|POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n",
        "empty chunk size|400|POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n\\r\\n",
        "chunk size overflow|400|POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n1000000000000000\\r\\n",
        "chunk size junk|400|POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3x\\r\\nabc\\r\\n",
        "chunk data without CRLF|400|POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabcd\\r\\n",
        "chunk line bare LF|400|POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\nabc\\r\\n",
      })
  void malformedMessagesAreRejected(String rule, int status, String message) throws Exception {
    List<Http1Part> parts =
        requests(message.replace("\\r", "\r").replace("\\n", "\n"));
    Http1Part last = parts.get(parts.size() - 1);
    assertInstanceOf(Malformed.class, last, rule + ": " + parts);
    assertEquals(status, ((Malformed) last).status(), rule + ": " + parts);
  }

  @Test
  void tooManyHeadersIs431() throws Exception {
    StringBuilder sb = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 100; i++) {
      sb.append("X-").append(i).append(": v\r\n");
    }
    List<Http1Part> parts = requests(sb + "\r\n");
    assertEquals(431, ((Malformed) parts.get(0)).status());
    // 100 headers exactly is fine
    StringBuilder ok = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 99; i++) {
      ok.append("X-").append(i).append(": v\r\n");
    }
    assertInstanceOf(Head.class, requests(ok + "\r\n").get(0));
  }

  @Test
  void headLargerThanLimitIs431WithoutWaitingForItsEnd() throws Exception {
    String big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "a".repeat(61 * 1024);
    List<Http1Part> parts = requests(big.substring(0, 30000), big.substring(30000));
    assertEquals(List.of(431), parts.stream().map(p -> ((Malformed) p).status()).toList());
  }

  @Test
  void chunkedEdgeCases() throws Exception {
    String msg =
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "a ; name=\"v\"\r\n0123456789\r\nF\r\nabcdefghijklmno\r\n"
            + "0\r\nA: 1\r\nB: 2\r\n\r\n";
    List<Object> parts = normalized(requests(msg));
    assertEquals("0123456789abcdefghijklmno", parts.get(1));
    assertEquals(new End(List.of(new Header("A", "1"), new Header("B", "2"))), parts.get(2));
    assertEquals(3, parts.size());
  }

  @Test
  void truncatedBodyFailsTheStream() {
    Exception e =
        org.junit.jupiter.api.Assertions.assertThrows(
            Exception.class,
            () -> requests("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
    assertTrue(String.valueOf(e.getCause()).contains("middle of a message"), e.toString());
  }

  @Test
  void responsesHeadAnd204AndUntilClose() throws Exception {
    Queue<String> methods = new ArrayDeque<>(List.of("HEAD", "GET", "GET"));
    String wire =
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
            + "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 200 OK\r\n\r\nuntil the end";
    List<Object> parts =
        normalized(
            decode(
                Http1Decoder.responses(methods, HeadParser.Limits.defaults()),
                List.of(ByteString.fromString(wire))));
    assertEquals(10 - 1, parts.size(), parts.toString());
    assertEquals(200, ((Head) parts.get(0)).status());
    assertEquals(new End(List.of()), parts.get(1));
    assertEquals(100, ((Head) parts.get(2)).status());
    assertEquals(204, ((Head) parts.get(4)).status());
    Head last = (Head) parts.get(6);
    assertEquals(new Http1Part.UntilClose(), last.framing());
    assertFalse(last.keepAlive());
    assertEquals("until the end", parts.get(7));
    assertEquals(new End(List.of()), parts.get(8));
  }

  @Test
  void oneMebibyteBodyToSlowConsumerStaysBounded() {
    int chunk = 16 * 1024;
    int chunks = 64;
    AtomicLong produced = new AtomicLong();
    ByteString head =
        ByteString.fromString(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + (chunk * chunks) + "\r\n\r\n");
    Source<ByteString, ?> wire =
        Source.single(head)
            .concat(Source.range(1, chunks).map(i -> ByteString.fromArray(new byte[chunk])))
            .map(
                b -> {
                  produced.incrementAndGet();
                  return b;
                });
    TestSubscriber.Probe<Http1Part> probe =
        wire.via(Http1Decoder.requests(HeadParser.Limits.defaults()))
            .runWith(TestSink.probe(system), mat);
    probe.request(1);
    assertInstanceOf(Head.class, probe.expectNext());
    long bytes = 0;
    for (int i = 0; i < chunks; i++) {
      probe.request(1);
      Data d = (Data) probe.expectNext();
      bytes += d.bytes().size();
      // Consumed i + 2 input elements (head + i + 1 chunks); at most one more read ahead.
      assertTrue(produced.get() <= i + 3, "produced " + produced.get() + " after " + (i + 1));
    }
    assertEquals((long) chunk * chunks, bytes);
    probe.request(1);
    assertEquals(new End(List.of()), probe.expectNext());
  }

  @Test
  void encoderReencodesAndStripsHopByHop() throws Exception {
    String in =
        "POST /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Private\r\nX-Private: s\r\n"
            + "Keep-Alive: 5\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nTE: gzip\r\nX-Keep:  v \r\n"
            + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: 1\r\n\r\n";
    List<Http1Part> parts = requests(in);
    ByteString encoded =
        Source.from(parts)
            .via(new Http1Encoder())
            .runFold(ByteString.emptyByteString(), ByteString::concat, mat)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertEquals(
        "POST /x HTTP/1.1\r\nHost: h\r\nX-Keep: v\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        encoded.utf8String());
    List<Object> again = normalized(requests(encoded.utf8String()));
    List<Object> before = normalized(parts);
    assertEquals(before.subList(1, before.size()), again.subList(1, again.size()), "round trip");
    assertEquals(((Head) before.get(0)).framing(), ((Head) again.get(0)).framing());
    Head te = (Head) requests("GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n").get(0);
    assertTrue(Http1Encoder.head(te).utf8String().contains("TE: trailers\r\n"));
  }

  @Test
  void aHeadEncodedWithItsBodyIsTheHeadThenTheBody() {
    for (long length : new long[] {0, 1, 9, 10, 99, 100, 12345, 9_876_543_210L}) {
      Head response =
          new Head(
              null,
              null,
              200,
              "OK",
              1,
              java.util.List.of(new Http1Part.Header("X-A", "b")),
              new Http1Part.Length(length),
              true);
      assertTrue(
          Http1Encoder.head(response).utf8String().contains("Content-Length: " + length + "\r\n"),
          Http1Encoder.head(response).utf8String());
      for (ByteString body :
          new ByteString[] {
            ByteString.fromString("0123456789"),
            ByteString.fromString("abc").concat(ByteString.fromString("def")), // many parts
            ByteString.fromString("xyz0123").drop(3) // a slice
          }) {
        assertEquals(
            Http1Encoder.head(response).concat(body).utf8String(),
            Http1Encoder.head(response, body).utf8String());
      }
    }
  }
}
