package io.trellis.proxy.tap;

import io.trellis.api.tap.Tap;
import io.trellis.api.tap.TapEvent;
import io.trellis.api.tap.TapRequest;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The proxy's Tap service (on its tap port): one subscription to the proxy's {@link EventLog} per
 * Observe call, ended when the caller goes away. Resource and {@code to} are the control plane's
 * business and ignored here.
 */
public final class ProxyTapService implements Tap {
  private final ActorRef<EventLog.Command> eventLog;
  private final TapSettings settings;

  public ProxyTapService(ActorRef<EventLog.Command> eventLog, TapSettings settings) {
    this.eventLog = eventLog;
    this.settings = settings;
  }

  @Override
  public Source<TapEvent, NotUsed> observe(TapRequest in) {
    TapFilter filter = new TapFilter(in.getMethod(), in.getPath(), in.getAuthority());
    // Room for a whole replay on top of the live queue; the queue's nodes are allocated per element.
    int size = settings.subscriberQueue() + (in.getSinceMs() > 0 ? settings.capacity() : 0);
    Source<TapEvent, NotUsed> events =
        Source.<EventLog.Observed>queue(size)
            .mapMaterializedValue(
                queue -> {
                  eventLog.tell(
                      new EventLog.Subscribe(
                          filter, Math.max(0, in.getMaxRps()), Math.max(0, in.getSinceMs()), queue));
                  return queue;
                })
            .watchTermination(
                (queue, done) -> {
                  done.whenComplete((ok, failure) -> eventLog.tell(new EventLog.Unsubscribe(queue)));
                  return NotUsed.getInstance();
                })
            .map(TapProtos::toProto);
    return in.getLimit() > 0 ? events.take(in.getLimit()) : events;
  }
}
