package io.trellis.proxy.metrics;

import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A pass-through stage that tells a listener about every element and, exactly once, how the stream
 * ended: completed (null), failed, or cancelled by the consumer (the cause). Pulls only when
 * pulled, so backpressure is untouched.
 */
final class WatchEnd<T> extends GraphStage<FlowShape<T, T>> {

  interface Listener {
    void element(Object element);

    void ended(Throwable failure);
  }

  private final Inlet<T> in = Inlet.create("WatchEnd.in");
  private final Outlet<T> out = Outlet.create("WatchEnd.out");
  private final FlowShape<T, T> shape = FlowShape.of(in, out);
  private final Listener listener;

  WatchEnd(Listener listener) {
    this.listener = listener;
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
