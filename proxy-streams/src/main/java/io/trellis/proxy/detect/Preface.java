package io.trellis.proxy.detect;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
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
   *
   * <p>One stage that forwards each later element as it is, without allocating: every chunk of a
   * connection's life goes through it (an earlier statefulMap/filter/map version allocated an
   * Optional and a Pair per chunk and ran three stages).
   */
  static Flow<ByteString, ByteString, NotUsed> decisiveHead() {
    return Flow.fromGraph(new DecisiveHead());
  }

  /** Whether {@code bytes} settle the question: the whole preface, or not a prefix of it. */
  static boolean decisive(ByteString bytes) {
    return bytes.size() >= PREFACE.size() || !PREFACE.take(bytes.size()).equals(bytes);
  }

  private static final class DecisiveHead extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("DecisiveHead.in");
    private final Outlet<ByteString> out = Outlet.create("DecisiveHead.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new GraphStageLogic(shape) {
        private ByteString held = ByteString.emptyByteString();
        private boolean decided;

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  ByteString bytes = grab(in);
                  if (decided) {
                    push(out, bytes);
                    return;
                  }
                  held = held.concat(bytes);
                  if (decisive(held)) {
                    decided = true;
                    ByteString head = held;
                    held = ByteString.emptyByteString();
                    push(out, head);
                  } else {
                    pull(in);
                  }
                }

                @Override
                public void onUpstreamFinish() {
                  // An undecided connection that ends emits what it sent.
                  if (!held.isEmpty()) {
                    ByteString rest = held;
                    held = ByteString.emptyByteString();
                    emit(out, rest);
                  }
                  // after a pending emit, if any
                  complete(out);
                }
              });
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(in);
                }
              });
        }
      };
    }
  }
}
