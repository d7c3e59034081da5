package io.trellis.discovery.destination;

import io.trellis.api.destination.DestinationClient;
import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.GetDestination;
import io.trellis.api.destination.ServiceList;
import io.trellis.api.destination.WatchServicesRequest;
import io.trellis.api.destination.WeightedAddr;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ProxyPorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import io.trellis.config.TrafficSplit;
import io.trellis.config.WorkloadConfig;
import io.trellis.discovery.MeshUpdates;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.event.Logging;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's discovery source when the mesh comes from the control plane
 * ({@code --control-plane ADDR[,ADDR..]}) instead of a local mesh.conf.
 *
 * <p>It watches the mesh's service list and, for every listed service, its endpoint set and
 * profile, and assembles them into a {@link MeshConfig} so that everything that consumes
 * {@link MeshUpdates} today (the balancer's {@code ActorDestinations}, authority routing) works
 * unchanged. Trade-off: it subscribes to every service of the mesh up front, where Linkerd's proxy
 * subscribes per authority on first use; for a mesh.conf-sized mesh that is a handful of streams
 * and it keeps the proxy's routing code untouched. The assembled mesh carries what a proxy needs
 * (namespace, services and ports, endpoints, profiles, splits, and each service's header routing,
 * faults and failure accrual); a workload's app port is not
 * known from the API and is set to its inbound port.
 *
 * <p>Failover: the addresses are tried in turn; every stream that ends (failure, or a node that
 * stops) is re-opened with exponential backoff (100 ms .. 60 s with jitter by default) on the
 * current address, and an address whose stream failed is replaced by the next. While no node is
 * reachable the last state stays in force; a re-opened stream's first message replaces the
 * service's state as a whole (messages are snapshots, never diffs).
 */
public final class DestinationApiSource implements MeshUpdates, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DestinationApiSource.class);

  /**
   * @param controlPlanes destination API addresses, tried in this order
   * @param contextToken who asks (the workload's name), for the control plane's logs
   */
  public record Settings(
      List<HostPort> controlPlanes,
      String contextToken,
      Duration minBackoff,
      Duration maxBackoff,
      double randomFactor) {
    public Settings {
      controlPlanes = List.copyOf(controlPlanes);
      if (controlPlanes.isEmpty()) {
        throw new IllegalArgumentException("at least one control-plane address is required");
      }
      Objects.requireNonNull(contextToken, "contextToken");
    }

    /** Linkerd's reconnect backoff: 100 ms .. 60 s, jittered by half. */
    public static Settings of(List<HostPort> controlPlanes, String contextToken) {
      return new Settings(
          controlPlanes, contextToken, Duration.ofMillis(100), Duration.ofSeconds(60), 0.5);
    }

    /** Parses {@code host:port[,host:port..]} as {@code --control-plane} takes it. */
    public static List<HostPort> parseAddresses(String text) {
      List<HostPort> out = new ArrayList<>();
      for (String part : text.split(",")) {
        out.add(HostPort.parse(part));
      }
      return out;
    }
  }

  private final ClassicActorSystemProvider system;
  private final Materializer materializer;
  private final Settings settings;
  private final Connections connections;
  private final List<Consumer<MeshConfig>> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<MeshConfig> ready = new CompletableFuture<>();
  private final List<UniqueKillSwitch> switches = new ArrayList<>();

  // Guarded by this: the pieces the mesh is assembled from.
  private String namespace = "default";
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private final Map<String, EndpointSet> endpoints = new HashMap<>();
  private final Map<String, DestinationProfile> profiles = new HashMap<>();
  private final Map<String, List<UniqueKillSwitch>> serviceStreams = new HashMap<>();
  private boolean listed;
  private boolean closed;
  private volatile MeshConfig current = new MeshConfig("default", Map.of(), Map.of());

  private DestinationApiSource(ClassicActorSystemProvider system, Settings settings) {
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.settings = settings;
    this.connections = new Connections(system, settings.controlPlanes());
  }

  /** Starts watching the control plane; {@link #current()} is an empty mesh until it answers. */
  public static DestinationApiSource start(ClassicActorSystemProvider system, Settings settings) {
    DestinationApiSource source = new DestinationApiSource(system, settings);
    source.watch(
        client -> client.watchServices(
            WatchServicesRequest.newBuilder().setContextToken(settings.contextToken()).build()),
        source::onServices);
    return source;
  }

  /**
   * Completes with the first complete mesh: the service list and every listed service's endpoints
   * and profile. A proxy waits for it (with a deadline) before it reports ready.
   */
  public CompletionStage<MeshConfig> whenReady() {
    return ready;
  }

  @Override
  public MeshConfig current() {
    return current;
  }

  @Override
  public synchronized void subscribe(Consumer<MeshConfig> listener) {
    listeners.add(listener);
    call(listener, current);
  }

  @Override
  public void close() {
    List<UniqueKillSwitch> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(switches);
      serviceStreams.values().forEach(all::addAll);
    }
    all.forEach(UniqueKillSwitch::shutdown);
    connections.close();
  }

  private synchronized void onServices(ServiceList list) {
    namespace = list.getNamespace();
    Map<String, Integer> next = MeshProtos.ports(list);
    for (String gone : new ArrayList<>(ports.keySet())) {
      if (!next.containsKey(gone)) {
        serviceStreams.remove(gone).forEach(UniqueKillSwitch::shutdown);
        endpoints.remove(gone);
        profiles.remove(gone);
      }
    }
    ports.clear();
    ports.putAll(next);
    for (String name : next.keySet()) {
      if (!serviceStreams.containsKey(name) && !closed) {
        GetDestination request = GetDestination.newBuilder()
            .setPath(name).setContextToken(settings.contextToken()).build();
        serviceStreams.put(name, List.of(
            watch(client -> client.get(request), set -> onEndpoints(name, set)),
            watch(client -> client.getProfile(request), p -> onProfile(name, p))));
      }
    }
    listed = true;
    publish();
  }

  private synchronized void onEndpoints(String service, EndpointSet set) {
    if (ports.containsKey(service)) {
      endpoints.put(service, set);
      publish();
    }
  }

  private synchronized void onProfile(String service, DestinationProfile profile) {
    if (ports.containsKey(service)) {
      profiles.put(service, profile);
      publish();
    }
  }

  /** Runs one stream for as long as this source lives, re-opened with backoff when it ends. */
  private <M> UniqueKillSwitch watch(
      Function<DestinationClient, Source<M, NotUsed>> open, Consumer<M> onMessage) {
    RestartSettings backoff = RestartSettings.create(
            settings.minBackoff(), settings.maxBackoff(), settings.randomFactor())
        // Connections.ended logs each failover once; a stack trace per stream is noise.
        .withLogSettings(RestartSettings.createLogSettings(Logging.DebugLevel()));
    UniqueKillSwitch killSwitch = RestartSource.withBackoff(backoff, () -> {
          DestinationClient client = connections.client();
          return open.apply(client).watchTermination((notUsed, done) -> {
            done.whenComplete((d, failure) -> connections.ended(client, failure));
            return notUsed;
          });
        })
        .viaMat(KillSwitches.single(), Keep.right())
        .to(Sink.foreach(onMessage::accept))
        .run(materializer);
    synchronized (this) {
      switches.add(killSwitch);
    }
    return killSwitch;
  }

  private void publish() {
    MeshConfig next = assemble();
    if (!next.equals(current)) {
      current = next;
      listeners.forEach(l -> call(l, next));
    }
    if (listed && !ready.isDone()
        && endpoints.keySet().containsAll(ports.keySet())
        && profiles.keySet().containsAll(ports.keySet())) {
      ready.complete(next);
    }
  }

  /** The mesh as the control plane describes it, in the shape mesh.conf would load into. */
  private MeshConfig assemble() {
    Map<String, ServiceConfig> services = new LinkedHashMap<>();
    Map<String, WorkloadParts> workloads = new TreeMap<>();
    List<ServiceProfile> serviceProfiles = new ArrayList<>();
    List<TrafficSplit> splits = new ArrayList<>();
    ports.forEach((name, port) -> {
      EndpointSet set = endpoints.getOrDefault(name, EndpointSet.getDefaultInstance());
      DestinationProfile profile = profiles.get(name);
      services.put(name, MeshProtos.serviceConfig(name, port, set, profile));
      for (WeightedAddr a : set.getEndpointsList()) {
        if (!a.getWorkload().isEmpty()) {
          workloads.computeIfAbsent(a.getWorkload(), w -> new WorkloadParts(a)).serves.add(name);
        }
      }
      if (profile != null) {
        MeshProtos.serviceProfile(profile).ifPresent(serviceProfiles::add);
        MeshProtos.trafficSplit(profile).ifPresent(splits::add);
      }
    });
    Map<String, WorkloadConfig> byName = new LinkedHashMap<>();
    workloads.forEach((name, parts) -> byName.put(name, parts.toWorkload(name)));
    return new MeshConfig(namespace, services, byName, serviceProfiles, splits, null);
  }

  /** A workload seen through its endpoints: its inbound proxy, account and served services. */
  private static final class WorkloadParts {
    final HostPort inbound;
    final String serviceAccount;
    final List<String> serves = new ArrayList<>();

    WorkloadParts(WeightedAddr a) {
      this.inbound = MeshProtos.hostPort(a.getAddr());
      this.serviceAccount = a.getLabelsOrDefault("serviceaccount", a.getWorkload());
    }

    WorkloadConfig toWorkload(String name) {
      String host = inbound.host();
      // Only the inbound listener is an endpoint; the others keep Linkerd's defaults.
      ProxyPorts proxy = new ProxyPorts(
          new HostPort(host, ProxyPorts.DEFAULT_OUTBOUND), inbound,
          new HostPort(host, ProxyPorts.DEFAULT_ADMIN));
      return new WorkloadConfig(name, host, inbound.port(), serves, serviceAccount, proxy);
    }
  }

  private void call(Consumer<MeshConfig> listener, MeshConfig mesh) {
    try {
      listener.accept(mesh);
    } catch (RuntimeException e) {
      log.error("a listener of the control plane's mesh failed", e);
    }
  }

  /**
   * One gRPC client at a time, on the current address. A stream that ends with its client still
   * current moves everyone to the next address; streams on an older client just reconnect.
   */
  private static final class Connections {
    private final ClassicActorSystemProvider system;
    private final List<HostPort> addresses;
    private int index;
    private DestinationClient client;
    private boolean closed;

    Connections(ClassicActorSystemProvider system, List<HostPort> addresses) {
      this.system = system;
      this.addresses = addresses;
    }

    synchronized DestinationClient client() {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (client == null) {
        HostPort a = addresses.get(index);
        client = DestinationClient.create(
            GrpcClientSettings.connectToServiceAt(a.host(), a.port(), system)
                .withTls(false)
                // This source does the retrying, across addresses; the client gives up soon.
                .withConnectionAttempts(2),
            system);
      }
      return client;
    }

    synchronized void ended(DestinationClient ended, Throwable failure) {
      if (closed || ended != client) {
        return;
      }
      HostPort from = addresses.get(index);
      index = (index + 1) % addresses.size();
      client = null;
      ended.close();
      log.info("control plane {}: stream ended ({}); next attempt on {}",
          from, failure == null ? "completed" : failure.getMessage(), addresses.get(index));
    }

    synchronized void close() {
      closed = true;
      if (client != null) {
        client.close();
      }
    }
  }
}
