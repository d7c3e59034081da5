package io.trellis.proxy.tap;

import io.grpc.Status;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * Owns the reading side of a proxy's {@link EventRing}: the ring's only reader. Serves each
 * subscriber (one tap stream) first the recorded events it asked for ({@code since}), then live
 * events, through the subscriber's own bounded queue. A full queue drops the event and counts it
 * (the subscriber later gets a {@link Observed.Dropped} notice): tap is lossy under overload and
 * never pushes back on the request path, which only appends to the ring and never asks this actor.
 *
 * <p>While nobody taps the actor does nothing at all; the ring still keeps history for {@code
 * since}.
 */
public final class EventLog extends AbstractBehavior<EventLog.Command> {

  /** What a subscriber's queue carries. */
  public sealed interface Observed {
    /** A request event; {@code replay} when it comes from history rather than live. */
    record Event(TapRecord record, boolean replay) implements Observed {}

    /** {@code count} events were dropped for this subscriber since the last notice. */
    record Dropped(long count) implements Observed {}
  }

  public sealed interface Command {}

  /**
   * Starts a tap: matching events older than {@code sinceMillis} (0: none) first, then live ones,
   * at most {@code maxRps} requests per second (0: unlimited), into {@code queue}.
   */
  public record Subscribe(
      TapFilter filter, double maxRps, long sinceMillis, BoundedSourceQueue<Observed> queue)
      implements Command {}

  /** The tap's stream ended. */
  public record Unsubscribe(BoundedSourceQueue<Observed> queue) implements Command {}

  /** Stops the event log (the proxy stops); open taps end. */
  public enum Stop implements Command {
    INSTANCE
  }

  private enum Poll implements Command {
    INSTANCE
  }

  /** Requests a subscriber admitted whose {@code end} has not been seen, at most. */
  static final int MAX_OPEN_REQUESTS = 10_000;

  private final EventRing ring;
  private final TapSettings settings;
  private final TimerScheduler<Command> timers;
  private final LongSupplier nanoClock;
  private final Map<BoundedSourceQueue<Observed>, Subscriber> subscribers = new HashMap<>();
  /** The next sequence number to read for live subscribers. */
  private long cursor;

  public static Behavior<Command> create(EventRing ring, TapSettings settings) {
    return create(ring, settings, System::nanoTime);
  }

  /** With the clock the max-rps limiter reads (tests). */
  static Behavior<Command> create(EventRing ring, TapSettings settings, LongSupplier nanoClock) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new EventLog(ctx, ring, settings, timers, nanoClock)));
  }

  private EventLog(
      ActorContext<Command> ctx,
      EventRing ring,
      TapSettings settings,
      TimerScheduler<Command> timers,
      LongSupplier nanoClock) {
    super(ctx);
    this.ring = ring;
    this.settings = settings;
    this.timers = timers;
    this.nanoClock = nanoClock;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessageEquals(Poll.INSTANCE, this::onPoll)
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe s) {
    if (subscribers.size() >= settings.maxSubscribers()) {
      s.queue()
          .fail(
              new GrpcServiceException(
                  Status.RESOURCE_EXHAUSTED.withDescription(
                      "this proxy already serves " + settings.maxSubscribers()
                          + " taps (trellis.proxy.tap.max-subscribers)")));
      return this;
    }
    if (subscribers.isEmpty()) {
      // Nobody was reading: live starts now.
      cursor = ring.head();
      timers.startTimerWithFixedDelay(Poll.INSTANCE, settings.pollInterval());
    }
    Subscriber sub = new Subscriber(s, nanoClock.getAsLong());
    if (s.sinceMillis() > 0) {
      long now = System.currentTimeMillis();
      long since = Math.max(s.sinceMillis(), 0);
      long oldest = now - Math.min(since, settings.maxAge().toMillis());
      ring.read(ring.tail(), cursor, r -> sub.offer(r, oldest, true));
    }
    subscribers.put(s.queue(), sub);
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe u) {
    remove(u.queue());
    return this;
  }

  private Behavior<Command> onPoll() {
    long from = cursor;
    long[] received = {0};
    cursor =
        ring.read(
            cursor,
            r -> {
              received[0]++;
              for (var it = subscribers.values().iterator(); it.hasNext(); ) {
                if (!it.next().offer(r, Long.MIN_VALUE, false)) {
                  it.remove();
                }
              }
            });
    long lost = cursor - from - received[0];
    if (lost > 0) {
      // The request path lapped this reader: everyone missed these.
      subscribers.values().forEach(sub -> sub.dropped += lost);
    }
    if (subscribers.isEmpty()) {
      timers.cancel(Poll.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onStop() {
    subscribers.keySet().forEach(BoundedSourceQueue::complete);
    return Behaviors.stopped();
  }

  private void remove(BoundedSourceQueue<Observed> queue) {
    subscribers.remove(queue);
    if (subscribers.isEmpty()) {
      timers.cancel(Poll.INSTANCE);
    }
  }

  /** One tap: its filter, its max-rps bucket, the requests it admitted, what it dropped. */
  private final class Subscriber {
    private final TapFilter filter;
    private final BoundedSourceQueue<Observed> queue;
    private final double maxRps;
    private final double burst;
    private double tokens;
    private long refilledAt;
    /** Admitted requests whose end is still to come: their rsp and end follow them. */
    private final Map<Long, Boolean> open =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > MAX_OPEN_REQUESTS;
          }
        };
    long dropped;

    Subscriber(Subscribe s, long now) {
      this.filter = s.filter();
      this.queue = s.queue();
      this.maxRps = s.maxRps();
      this.burst = Math.max(1, maxRps);
      this.tokens = burst;
      this.refilledAt = now;
    }

    /** Offers a record if it is for this tap; false when the tap's stream is gone. */
    boolean offer(TapRecord r, long oldestMillis, boolean replay) {
      if (r.kind() == TapRecord.Kind.REQ) {
        if (r.wallMillis() < oldestMillis || !filter.matches(r)) {
          return true;
        }
        if (!replay && !admit()) {
          dropped++;
          return true;
        }
        open.put(r.id(), Boolean.TRUE);
      } else if (r.kind() == TapRecord.Kind.RSP) {
        if (!open.containsKey(r.id())) {
          return true;
        }
      } else if (open.remove(r.id()) == null) {
        return true;
      }
      if (dropped > 0) {
        QueueOfferResult notice = queue.offer(new Observed.Dropped(dropped));
        if (notice == QueueOfferResult.enqueued()) {
          dropped = 0;
        } else if (notice instanceof QueueOfferResult.Failure || notice == QueueOfferResult.closed()) {
          return false;
        }
      }
      QueueOfferResult result = queue.offer(new Observed.Event(r, replay));
      if (result == QueueOfferResult.dropped()) {
        dropped++;
        return true;
      }
      return result == QueueOfferResult.enqueued();
    }

    /** Token bucket: maxRps requests per second, bursts of up to maxRps (at least 1). */
    private boolean admit() {
      if (maxRps <= 0) {
        return true;
      }
      long now = nanoClock.getAsLong();
      tokens = Math.min(burst, tokens + (now - refilledAt) * maxRps / 1e9);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }

}
