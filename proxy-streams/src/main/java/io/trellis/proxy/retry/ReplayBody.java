package io.trellis.proxy.retry;

import io.trellis.proxy.http.Entities;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * A request body that can be sent again (as linkerd2-proxy's {@code ReplayBody}): the first
 * attempt streams the original body through with backpressure while a copy of up to {@code limit}
 * bytes is kept; once the whole body has passed within the limit, a retry can send the copy. A
 * body over the limit (known from its Content-Length, or found while it streams) is sent as is and
 * never retried; the copy is dropped as soon as it would exceed the limit, so memory stays bounded.
 * Request trailers are not replayed.
 */
final class ReplayBody {
  private final RequestEntity first;
  private final Capture capture;
  private final RequestEntity strict;

  private ReplayBody(RequestEntity first, Capture capture, RequestEntity strict) {
    this.first = first;
    this.capture = capture;
    this.strict = strict;
  }

  static ReplayBody of(RequestEntity entity, int limit) {
    if (entity.isKnownEmpty() || entity instanceof HttpEntity.Strict) {
      boolean small = entity.getContentLengthOption().orElse(0) <= limit;
      return new ReplayBody(entity, null, small ? entity : null);
    }
    OptionalLong length = entity.getContentLengthOption();
    if (length.isPresent() && length.getAsLong() > limit) {
      return new ReplayBody(entity, null, null);
    }
    Capture capture = new Capture(limit, length.orElse(-1), entity);
    return new ReplayBody(Entities.through(entity, capture), capture, null);
  }

  /** The entity of the first attempt. */
  RequestEntity first() {
    return first;
  }

  /** The body to send again, when the whole of it passed within the limit. */
  Optional<RequestEntity> replay() {
    if (strict != null) {
      return Optional.of(strict);
    }
    return capture != null ? capture.body() : Optional.empty();
  }

  /** Copies what passes (data bytes of chunks, or bytes) up to the limit. */
  static final class Capture extends GraphStage<FlowShape<Object, Object>> {
    private final Inlet<Object> in = Inlet.create("ReplayBody.in");
    private final Outlet<Object> out = Outlet.create("ReplayBody.out");
    private final FlowShape<Object, Object> shape = FlowShape.of(in, out);
    private final int limit;
    private final long expected;
    private final RequestEntity original;
    // Written by the stream, read by the retry decision on another thread.
    private volatile ByteString complete;

    Capture(int limit, long expected, RequestEntity original) {
      this.limit = limit;
      this.expected = expected;
      this.original = original;
    }

    Optional<RequestEntity> body() {
      ByteString bytes = complete;
      return bytes == null
          ? Optional.empty()
          : Optional.of(HttpEntities.create(original.getContentType(), bytes));
    }

    @Override
    public FlowShape<Object, Object> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new GraphStageLogic(shape) {
        private ByteStringBuilder copy = new ByteStringBuilder();
        private long seen;

        private void done() {
          if (copy != null && (expected < 0 || seen == expected)) {
            complete = copy.result();
          }
          copy = null;
        }

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  Object element = grab(in);
                  ByteString data =
                      element instanceof HttpEntity.ChunkStreamPart part
                          ? part.data()
                          : (ByteString) element;
                  seen += data.size();
                  if (copy != null) {
                    if (seen > limit) {
                      copy = null; // over the limit: never replayed
                    } else {
                      copy.append(data);
                    }
                  }
                  if (seen == expected) {
                    // A Content-Length body is whole now, even if the sender cancels the rest.
                    done();
                  }
                  push(out, element);
                }

                @Override
                public void onUpstreamFinish() {
                  done();
                  completeStage();
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
