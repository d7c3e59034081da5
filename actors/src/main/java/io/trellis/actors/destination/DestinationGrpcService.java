package io.trellis.actors.destination;

import com.google.protobuf.Message;
import io.trellis.api.destination.Destination;
import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.GetDestination;
import io.trellis.api.destination.ServiceList;
import io.trellis.api.destination.WatchServicesRequest;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import io.grpc.Status;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The destination API on one control-plane node. Any node serves any service: each stream gets
 * its own {@link DestinationStream} actor here, which subscribes to the service's entity through
 * sharding, wherever it runs.
 */
public final class DestinationGrpcService implements Destination {

  /** How streams behave: queue bound and how often an unconfirmed subscription is repeated. */
  public record Settings(int streamBuffer, Duration subscribeRetry) {}

  private static final AtomicLong STREAMS = new AtomicLong();

  private final ActorSystem<?> system;
  private final Supplier<MeshConfig> mesh;
  private final ActorRef<MeshHolder.Command> holder;
  private final Function<String, Consumer<ServiceDestination.Command>> entityOf;
  private final Settings settings;
  private final StreamStats stats;
  /** Ends every stream of this node at once when it stops, so proxies move to other nodes. */
  private final SharedKillSwitch stopping = KillSwitches.shared("destination-streams");

  /**
   * @param mesh this node's current mesh, to resolve a request's authority to a service name
   * @param entityOf how to reach the entity of a service name (sharding's EntityRef in production)
   */
  public DestinationGrpcService(
      ActorSystem<?> system,
      Supplier<MeshConfig> mesh,
      ActorRef<MeshHolder.Command> holder,
      Function<String, Consumer<ServiceDestination.Command>> entityOf,
      Settings settings,
      StreamStats stats) {
    this.system = system;
    this.mesh = mesh;
    this.holder = holder;
    this.entityOf = entityOf;
    this.settings = settings;
    this.stats = stats;
  }

  @Override
  public Source<ServiceList, NotUsed> watchServices(WatchServicesRequest in) {
    Pair<BoundedSourceQueue<ServiceList>, Source<ServiceList, NotUsed>> stream = queue();
    ProxyQueue<ServiceList> queue =
        new ProxyQueue<>(stream.first(), stats, "services of " + in.getContextToken());
    ActorRef<ServiceListStream.Command> actor =
        spawn(ServiceListStream.create(holder, queue), "services");
    String workload = in.getContextToken().isBlank() ? "(unnamed)" : in.getContextToken();
    return stream.second().via(stopping.flow()).watchTermination((notUsed, done) -> {
      stats.subscribed(workload);
      done.whenComplete((d, e) -> {
        stats.unsubscribed(workload);
        actor.tell(ServiceListStream.StreamEnded.INSTANCE);
      });
      return notUsed;
    });
  }

  @Override
  public Source<EndpointSet, NotUsed> get(GetDestination in) {
    return subscribe(ServiceDestination.Topic.ENDPOINTS, EndpointSet.class, in);
  }

  @Override
  public Source<DestinationProfile, NotUsed> getProfile(GetDestination in) {
    return subscribe(ServiceDestination.Topic.PROFILE, DestinationProfile.class, in);
  }

  private <M extends Message> Source<M, NotUsed> subscribe(
      ServiceDestination.Topic topic, Class<M> type, GetDestination in) {
    if (in.getPath().isBlank()) {
      return Source.failed(new GrpcServiceException(
          Status.INVALID_ARGUMENT.withDescription("path: a service name or authority is required")));
    }
    String service = serviceOf(in.getPath());
    Pair<BoundedSourceQueue<M>, Source<M, NotUsed>> stream = queue();
    ProxyQueue<M> queue = new ProxyQueue<>(
        stream.first(), stats, topic.name().toLowerCase(Locale.ROOT) + " of " + service);
    ActorRef<DestinationStream.Command> actor = spawn(
        DestinationStream.create(topic, type, queue, entityOf.apply(service),
            settings.subscribeRetry()),
        topic.name().toLowerCase(Locale.ROOT));
    return stream.second().via(stopping.flow()).watchTermination((notUsed, done) -> {
      done.whenComplete((d, e) -> actor.tell(DestinationStream.StreamEnded.INSTANCE));
      return notUsed;
    });
  }

  /**
   * Completes every open stream (the proxies re-subscribe, on another node if this one is going
   * away). A node calls it when it stops: gRPC streams never end by themselves, so waiting for
   * them would only spend the shutdown deadline.
   */
  public void completeAllStreams() {
    stopping.shutdown();
  }

  /**
   * The entity id for a request's path: the service name when the mesh resolves it; otherwise
   * the path itself (lower-cased), whose entity reports {@code exists = false} until a service of
   * that name appears.
   */
  private String serviceOf(String path) {
    MeshConfig current = mesh.get();
    String name = path.toLowerCase(Locale.ROOT).split("[.:]", 2)[0];
    ServiceConfig named = current.services().get(name);
    // Without a port, a path means the named service's own port (web-svc.demo for emoji:8080).
    int defaultPort = named != null ? named.port() : 80;
    return current.resolve(path, defaultPort)
        .map(ServiceRef::name)
        .orElse(path.toLowerCase(Locale.ROOT));
  }

  private <M> Pair<BoundedSourceQueue<M>, Source<M, NotUsed>> queue() {
    stats.opened();
    return Source.<M>queue(settings.streamBuffer()).preMaterialize(system);
  }

  private <T> ActorRef<T> spawn(Behavior<T> behavior, String kind) {
    return system.systemActorOf(
        behavior, "destination-" + kind + "-" + STREAMS.incrementAndGet(), Props.empty());
  }
}
