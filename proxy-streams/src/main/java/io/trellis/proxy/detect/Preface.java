package io.trellis.proxy.detect;

import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/** The HTTP/2 connection preface (RFC 9113 section 3.4) and how to look for it. */
final class Preface {
  static final ByteString PREFACE = ByteString.fromString("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

  private Preface() {}

  /** True when {@code head} starts with the whole preface. */
  static boolean isHttp2(ByteString head) {
    return head.size() >= PREFACE.size() && head.take(PREFACE.size()).equals(PREFACE);
  }

  /**
   * Passes the bytes on, except that the first element is held back until it tells HTTP/2 from
   * HTTP/1: until it holds the whole preface or a byte that differs from it. An HTTP/1 request
   * differs at its first byte, so HTTP/1 clients are never kept waiting; a connection that ends
   * early emits what it sent.
   */
  static Flow<ByteString, ByteString, NotUsed> decisiveHead() {
    return Flow.<ByteString>create()
        .statefulMap(
            Head::new,
            (head, bytes) -> Pair.create(head, head.offer(bytes)),
            head -> Optional.of(head.flush()))
        .filter(Optional::isPresent)
        .map(Optional::get);
  }

  /** Whether {@code bytes} settle the question: the whole preface, or not a prefix of it. */
  static boolean decisive(ByteString bytes) {
    return bytes.size() >= PREFACE.size() || !PREFACE.take(bytes.size()).equals(bytes);
  }

  private static final class Head {
    private ByteString held = ByteString.emptyByteString();
    private boolean decided;

    Optional<ByteString> offer(ByteString bytes) {
      if (decided) {
        return Optional.of(bytes);
      }
      held = held.concat(bytes);
      if (!decisive(held)) {
        return Optional.empty();
      }
      decided = true;
      return Optional.of(flush().orElseThrow());
    }

    Optional<ByteString> flush() {
      ByteString out = held;
      held = ByteString.emptyByteString();
      return out.isEmpty() ? Optional.empty() : Optional.of(out);
    }
  }
}
