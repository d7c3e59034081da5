package io.trellis.actors.destination;

import com.google.protobuf.Message;
import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import io.trellis.config.MeshConfig;
import io.trellis.discovery.destination.MeshProtos;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One service's destination publisher: a sharded entity (key {@code service}, id the service
 * name) that derives the service's endpoint set and profile from this node's {@link MeshHolder}
 * and fans every change out to the subscribed proxy streams.
 *
 * <p>It keeps no state of its own worth saving: on any node it re-derives everything from the
 * local mesh snapshot, so when sharding moves it (rebalance, a node gone) nothing is lost; the
 * streams notice the old incarnation stop (death watch) and subscribe again. Fan-out is a
 * {@code tell} per subscriber: each stream's bounded queue sits on the stream's side, so a slow
 * proxy can never hold this actor up.
 */
public final class ServiceDestination extends AbstractBehavior<ServiceDestination.Command> {

  public static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "service");

  public interface Command {}

  /** Which of a service's streams a subscriber wants. */
  public enum Topic {
    ENDPOINTS,
    PROFILE
  }

  /**
   * Adds {@code subscriber}: it gets {@link DestinationStream.Subscribed} (to watch this
   * incarnation), then the current state of {@code topic} and every change.
   */
  public record Subscribe(Topic topic, ActorRef<DestinationStream.Command> subscriber)
      implements Command, ControlPlaneMessage {}

  private record MeshChanged(MeshConfig mesh) implements Command {}

  private record SubscriberTerminated(ActorRef<DestinationStream.Command> subscriber)
      implements Command {}

  private enum PassivateIfIdle implements Command {
    INSTANCE
  }

  /** What an entity needs besides its name: identity naming and when to let go when unwatched. */
  public record Settings(MeshProtos.IdentityDomain identity, Duration idlePassivation) {}

  /**
   * @param shard the shard to ask for passivation, or null outside sharding (then it stops itself)
   */
  public static Behavior<Command> create(
      String service,
      ActorRef<MeshHolder.Command> mesh,
      Settings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ServiceDestination(ctx, timers, service, mesh, settings, shard)));
  }

  private final TimerScheduler<Command> timers;
  private final String service;
  private final Settings settings;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Map<ActorRef<DestinationStream.Command>, Topic> subscribers = new HashMap<>();
  // Null until the holder's first snapshot arrives (a few ms after start).
  private EndpointSet endpoints;
  private DestinationProfile profile;

  private ServiceDestination(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      String service,
      ActorRef<MeshHolder.Command> mesh,
      Settings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(ctx);
    this.timers = timers;
    this.service = service;
    this.settings = settings;
    this.shard = shard;
    mesh.tell(new MeshHolder.Watch(ctx.messageAdapter(MeshConfig.class, MeshChanged::new)));
    timers.startSingleTimer(PassivateIfIdle.INSTANCE, settings.idlePassivation());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(MeshChanged.class, this::onMeshChanged)
        .onMessage(SubscriberTerminated.class, this::onSubscriberTerminated)
        .onMessage(PassivateIfIdle.class, this::onPassivateIfIdle)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe s) {
    if (subscribers.put(s.subscriber(), s.topic()) == null) {
      getContext().watchWith(s.subscriber(), new SubscriberTerminated(s.subscriber()));
    }
    timers.cancel(PassivateIfIdle.INSTANCE);
    s.subscriber().tell(new DestinationStream.Subscribed(getContext().getSelf()));
    Message current = s.topic() == Topic.ENDPOINTS ? endpoints : profile;
    if (current != null) {
      s.subscriber().tell(new DestinationStream.Published(current));
    }
    return this;
  }

  private Behavior<Command> onMeshChanged(MeshChanged m) {
    EndpointSet nextEndpoints = MeshProtos.endpointSet(m.mesh(), service, settings.identity());
    if (!nextEndpoints.equals(endpoints)) {
      endpoints = nextEndpoints;
      publish(Topic.ENDPOINTS, endpoints);
    }
    DestinationProfile nextProfile = MeshProtos.profile(m.mesh(), service);
    if (!nextProfile.equals(profile)) {
      profile = nextProfile;
      publish(Topic.PROFILE, profile);
    }
    return this;
  }

  private void publish(Topic topic, Message update) {
    DestinationStream.Published published = new DestinationStream.Published(update);
    subscribers.forEach((subscriber, t) -> {
      if (t == topic) {
        subscriber.tell(published);
      }
    });
  }

  private Behavior<Command> onSubscriberTerminated(SubscriberTerminated t) {
    subscribers.remove(t.subscriber());
    if (subscribers.isEmpty()) {
      timers.startSingleTimer(PassivateIfIdle.INSTANCE, settings.idlePassivation());
    }
    return this;
  }

  private Behavior<Command> onPassivateIfIdle(PassivateIfIdle p) {
    if (!subscribers.isEmpty()) {
      return this;
    }
    if (shard == null) {
      return Behaviors.stopped();
    }
    // The shard stops us once messages already on their way are delivered; one that arrives
    // later restarts the entity, which re-derives its state.
    shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    return this;
  }
}
