package io.trellis.proxy.detect;

import java.time.Duration;
import java.util.function.Predicate;
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
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Passes a connection's bytes on, except that they are held back until they are enough to tell
 * the protocol: until {@code decisive} says so, {@code maxBytes} have arrived, {@code timeout}
 * has passed (then what was held, possibly nothing, is the head), or the connection ends. The
 * head is one element; every later element passes as it is, without allocating.
 */
public final class Sniff extends GraphStage<FlowShape<ByteString, ByteString>> {
  private final Inlet<ByteString> in = Inlet.create("Sniff.in");
  private final Outlet<ByteString> out = Outlet.create("Sniff.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final Predicate<ByteString> decisive;
  private final int maxBytes;
  private final Duration timeout;

  private Sniff(Predicate<ByteString> decisive, int maxBytes, Duration timeout) {
    this.decisive = decisive;
    this.maxBytes = maxBytes;
    this.timeout = timeout;
  }

  public static Flow<ByteString, ByteString, NotUsed> head(
      Predicate<ByteString> decisive, int maxBytes, Duration timeout) {
    return Flow.fromGraph(new Sniff(decisive, maxBytes, timeout));
  }

  /**
   * Reads the head with {@code sniff}, then serves the connection with the flow {@code byHead}
   * chooses for it; that flow gets the head first, then the rest. A connection that closes before
   * sending anything is closed.
   */
  public static Flow<ByteString, ByteString, NotUsed> thenServe(
      Flow<ByteString, ByteString, NotUsed> sniff,
      java.util.function.Function<ByteString, Flow<ByteString, ByteString, NotUsed>> byHead) {
    return sniff
        .flatMapPrefix(
            1,
            prefix -> {
              var it = prefix.iterator();
              if (!it.hasNext()) {
                // closed before sending anything
                return Flow.fromSinkAndSource(
                    org.apache.pekko.stream.javadsl.Sink.ignore(),
                    org.apache.pekko.stream.javadsl.Source.empty());
              }
              ByteString head = it.next();
              return Flow.<ByteString>create()
                  .prepend(org.apache.pekko.stream.javadsl.Source.single(head))
                  .via(byHead.apply(head));
            })
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private ByteString held = ByteString.emptyByteString();
      private boolean decided;

      @Override
      public void preStart() {
        scheduleOnce("detect", timeout);
      }

      private void decide() {
        decided = true;
        cancelTimer("detect");
        ByteString head = held;
        held = ByteString.emptyByteString();
        emit(out, head);
      }

      @Override
      public void onTimer(Object key) {
        if (!decided) {
          decide();
        }
      }

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
                if (held.size() >= maxBytes || decisive.test(held)) {
                  decide();
                } else {
                  pull(in);
                }
              }

              @Override
              public void onUpstreamFinish() {
                // An undecided connection that ends emits what it sent (nothing: no element).
                if (!decided && !held.isEmpty()) {
                  decide();
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
                if (!hasBeenPulled(in) && !isClosed(in)) {
                  pull(in);
                }
              }
            });
      }
    };
  }
}
