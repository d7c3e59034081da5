package io.trellis.actors.destination;

import com.google.protobuf.Message;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One proxy's gRPC stream of one service's endpoints or profile, on the node that serves the
 * stream. It subscribes to the service's entity wherever sharding placed it and moves what the
 * entity publishes into the stream's bounded {@link ProxyQueue}.
 *
 * <p>It survives the entity moving: it watches the incarnation that confirmed the subscription,
 * and when that one stops (rebalanced, passivated, its node downed) it subscribes again through
 * sharding, which starts the entity on a surviving node. Until a subscription is confirmed it
 * repeats {@code Subscribe} every {@code subscribeRetry}, as a message to a node that just died
 * may be lost. The proxy sees at most a repeat of the state it has, which the queue drops.
 */
public final class DestinationStream extends AbstractBehavior<DestinationStream.Command> {

  public interface Command {}

  /** The entity took the subscription; watch it. */
  public record Subscribed(ActorRef<ServiceDestination.Command> publisher)
      implements Command, ControlPlaneMessage {}

  /** A new state of the subscribed topic (an EndpointSet or a DestinationProfile). */
  public record Published(Message update) implements Command, ControlPlaneMessage {}

  /** The proxy's stream ended (cancelled, failed or completed). */
  public enum StreamEnded implements Command {
    INSTANCE
  }

  private record PublisherTerminated(ActorRef<ServiceDestination.Command> publisher)
      implements Command {}

  private enum RetrySubscribe implements Command {
    INSTANCE
  }

  /**
   * @param toEntity delivers a command to the service's entity (through sharding in production)
   */
  public static <M extends Message> Behavior<Command> create(
      ServiceDestination.Topic topic,
      Class<M> type,
      ProxyQueue<M> queue,
      Consumer<ServiceDestination.Command> toEntity,
      Duration subscribeRetry) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new DestinationStream(ctx, timers, topic, type,
            update -> queue.offer(type.cast(update)), toEntity, subscribeRetry)));
  }

  private final TimerScheduler<Command> timers;
  private final ServiceDestination.Topic topic;
  private final Class<? extends Message> type;
  /** Offers to the stream's bounded queue; false once the stream is over. */
  private final Predicate<Message> offer;
  private final Consumer<ServiceDestination.Command> toEntity;
  private final Duration subscribeRetry;
  private ActorRef<ServiceDestination.Command> publisher;

  private DestinationStream(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ServiceDestination.Topic topic,
      Class<? extends Message> type,
      Predicate<Message> offer,
      Consumer<ServiceDestination.Command> toEntity,
      Duration subscribeRetry) {
    super(ctx);
    this.timers = timers;
    this.topic = topic;
    this.type = type;
    this.offer = offer;
    this.toEntity = toEntity;
    this.subscribeRetry = subscribeRetry;
    subscribe();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribed.class, this::onSubscribed)
        .onMessage(Published.class, this::onPublished)
        .onMessage(PublisherTerminated.class, this::onPublisherTerminated)
        .onMessageEquals(RetrySubscribe.INSTANCE, this::onRetrySubscribe)
        .onMessageEquals(StreamEnded.INSTANCE, Behaviors::stopped)
        .build();
  }

  private void subscribe() {
    toEntity.accept(new ServiceDestination.Subscribe(topic, getContext().getSelf()));
    timers.startSingleTimer(RetrySubscribe.INSTANCE, subscribeRetry);
  }

  private Behavior<Command> onSubscribed(Subscribed s) {
    timers.cancel(RetrySubscribe.INSTANCE);
    if (!s.publisher().equals(publisher)) {
      if (publisher != null) {
        getContext().unwatch(publisher);
      }
      publisher = s.publisher();
      getContext().watchWith(publisher, new PublisherTerminated(publisher));
    }
    return this;
  }

  private Behavior<Command> onPublished(Published p) {
    if (!type.isInstance(p.update())) {
      getContext().getLog().warn("dropping a {} on a {} stream",
          p.update().getClass().getSimpleName(), topic);
      return this;
    }
    return offer.test(p.update()) ? this : Behaviors.stopped();
  }

  private Behavior<Command> onPublisherTerminated(PublisherTerminated t) {
    if (t.publisher().equals(publisher)) {
      publisher = null;
      subscribe();
    }
    return this;
  }

  private Behavior<Command> onRetrySubscribe() {
    if (publisher == null) {
      subscribe();
    }
    return this;
  }
}
