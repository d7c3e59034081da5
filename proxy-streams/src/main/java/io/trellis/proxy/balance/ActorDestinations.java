package io.trellis.proxy.balance;

import io.trellis.config.ServiceRef;
import io.trellis.discovery.MeshUpdates;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * {@link Destinations} backed by actors: one {@link ServiceEndpointsActor} per service, one
 * {@link EndpointActor} per endpoint, fed by a {@link MeshUpdates} source.
 *
 * <p>{@link #destination(ServiceRef)} is safe to call on the request path: a known service is a
 * map lookup; a new one is created and its actor requested with a {@code tell}, nothing blocks.
 * The new destination is empty until its actor publishes, typically within a millisecond, so
 * callers wait with {@link Destination#whenNonEmpty}.
 */
public final class ActorDestinations implements Destinations {

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ActorSystem<?> system;
  private final ActorRef<DestinationRegistry.Command> registry;
  private final BalanceSettings settings;
  private final EndpointPicker picker;
  private final LongSupplier clock;
  private final ConcurrentHashMap<ServiceRef, PublishedDestination> destinations =
      new ConcurrentHashMap<>();

  private ActorDestinations(
      ActorSystem<?> system,
      ActorRef<DestinationRegistry.Command> registry,
      BalanceSettings settings,
      EndpointPicker picker,
      LongSupplier clock) {
    this.system = system;
    this.registry = registry;
    this.settings = settings;
    this.picker = picker;
    this.clock = clock;
  }

  /** Starts the balancer's actors under {@code system} and subscribes them to {@code updates}. */
  public static ActorDestinations start(
      ActorSystem<?> system, MeshUpdates updates, BalanceSettings settings) {
    return start(system, updates, settings, System::nanoTime, ThreadLocalRandom::current);
  }

  /** As {@link #start(ActorSystem, MeshUpdates, BalanceSettings)} with a clock and randomness. */
  public static ActorDestinations start(
      ActorSystem<?> system,
      MeshUpdates updates,
      BalanceSettings settings,
      LongSupplier clockNanos,
      Supplier<? extends RandomGenerator> random) {
    ActorRef<DestinationRegistry.Command> registry =
        system.systemActorOf(
            DestinationRegistry.create(settings, clockNanos),
            "trellis-destinations-" + INSTANCES.incrementAndGet(),
            Props.empty());
    ActorDestinations destinations =
        new ActorDestinations(
            system, registry, settings, EndpointPicker.powerOfTwoChoices(random), clockNanos);
    updates.subscribe(mesh -> registry.tell(new DestinationRegistry.ApplyMesh(mesh)));
    return destinations;
  }

  @Override
  public Destination destination(ServiceRef service) {
    PublishedDestination known = destinations.get(service);
    return known != null ? known : destinations.computeIfAbsent(service, this::track);
  }

  private PublishedDestination track(ServiceRef service) {
    PublishedDestination destination =
        new PublishedDestination(
            service,
            picker,
            clock,
            system.scheduler(),
            system.executionContext(),
            settings.maxWaiters());
    registry.tell(new DestinationRegistry.Track(destination));
    return destination;
  }

  public BalanceSettings settings() {
    return settings;
  }
}
