package io.trellis.proxy.metrics;

import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.scaladsl.model.ContentType;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A pass-through stage that tells a listener about every element and, exactly once, how the stream
 * ended: completed (null), failed, or cancelled by the consumer (the cause). Pulls only when
 * pulled, so backpressure is untouched.
 */
public final class WatchEnd<T> extends GraphStage<FlowShape<T, T>> {

  public interface Listener {
    void element(Object element);

    void ended(Throwable failure);
  }

  private final Inlet<T> in = Inlet.create("WatchEnd.in");
  private final Outlet<T> out = Outlet.create("WatchEnd.out");
  private final FlowShape<T, T> shape = FlowShape.of(in, out);
  private final Listener listener;

  public WatchEnd(Listener listener) {
    this.listener = listener;
  }

  /**
   * {@code entity} with {@code listener} told about its body's parts and end; framing (Content-Length,
   * chunks and the last chunk's trailers) is kept. A strict or empty entity has nothing to watch:
   * the caller handles it.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static ResponseEntity entity(ResponseEntity entity, Listener listener) {
    var contentType = entity.getContentType();
    if (entity instanceof HttpEntity.Chunked chunked) {
      // Chunked keeps its parts (and the last one's trailers) as they are.
      Source parts = chunked.getChunks().via(new WatchEnd<>(listener));
      return new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(
          (ContentType) contentType, parts.asScala());
    }
    Source<ByteString, ?> bytes = entity.getDataBytes().via(new WatchEnd<>(listener));
    if (entity instanceof HttpEntity.Default) {
      // Keep the Content-Length framing.
      return HttpEntities.create(contentType, entity.getContentLengthOption().getAsLong(), bytes);
    }
    return HttpEntities.createCloseDelimited(contentType, bytes);
  }

  @Override
  public FlowShape<T, T> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private boolean ended;

      private void end(Throwable failure) {
        if (!ended) {
          ended = true;
          listener.ended(failure);
        }
      }

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                T element = grab(in);
                listener.element(element);
                push(out, element);
              }

              @Override
              public void onUpstreamFinish() {
                end(null);
                completeStage();
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                end(ex);
                failStage(ex);
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(in);
              }

              @Override
              public void onDownstreamFinish(Throwable cause) throws Exception {
                end(cause);
                super.onDownstreamFinish(cause);
              }
            });
      }

      @Override
      public void postStop() {
        // The stream was torn down without a signal through this stage (e.g. materializer
        // shutdown): still count the response.
        end(new IllegalStateException("response stream stopped"));
      }
    };
  }
}
