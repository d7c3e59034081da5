package io.trellis.proxy;

import com.typesafe.config.ConfigFactory;
import io.trellis.api.tap.TapHandlerFactory;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import io.trellis.proxy.admin.AdminServer;
import io.trellis.proxy.balance.Destinations;
import io.trellis.proxy.detect.HttpListener;
import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.http.Balance;
import io.trellis.proxy.http.ChunkedBodies;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.Forward;
import io.trellis.proxy.http.HopByHop;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.http.PekkoHttpSettings;
import io.trellis.proxy.http.Route;
import io.trellis.proxy.http.Upstreams;
import io.trellis.proxy.identity.ProxyIdentity;
import io.trellis.proxy.metrics.HttpMetrics;
import io.trellis.proxy.metrics.KamonSetup;
import io.trellis.proxy.metrics.RecordMetrics;
import io.trellis.proxy.tap.EventLog;
import io.trellis.proxy.tap.EventRing;
import io.trellis.proxy.tap.ProxyTapService;
import io.trellis.proxy.tap.RecordTap;
import io.trellis.proxy.tap.TapSettings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.function.Function;

/**
 * A workload's sidecar proxy: the composition root. It builds the outbound and inbound request
 * paths from named stages (read them innermost first, as in linkerd2-proxy's {@code mk_sidecar})
 * and binds them, with the admin listener, on the workload's proxy ports.
 *
 * <p>The outbound and inbound listeners serve HTTP/1.1 and HTTP/2 (h2c prior knowledge) on the same
 * port, detected per connection; h2c upgrade offers are declined (see {@link HttpListener}).
 */
public final class Sidecar {
  private final List<HttpListener> listeners;
  private final List<ServerBinding> bindings;
  private final ActorRef<EventLog.Command> eventLog;
  private final List<Upstreams> upstreams;
  private final InetSocketAddress outbound;
  private final InetSocketAddress inbound;
  private final InetSocketAddress admin;
  private final InetSocketAddress tap;

  private static final AtomicLong EVENT_LOGS = new AtomicLong();
  private final ProxyIdentity identity;

  private Sidecar(
      List<HttpListener> listeners,
      List<ServerBinding> bindings,
      ActorRef<EventLog.Command> eventLog,
      List<Upstreams> upstreams,
      InetSocketAddress outbound,
      InetSocketAddress inbound,
      InetSocketAddress admin,
      InetSocketAddress tap,
      ProxyIdentity identity) {
    this.listeners = listeners;
    this.bindings = bindings;
    this.eventLog = eventLog;
    this.upstreams = upstreams;
    this.outbound = outbound;
    this.inbound = inbound;
    this.admin = admin;
    this.tap = tap;
    this.identity = identity;
  }

  /**
   * The outbound path: from the app to a mesh service or, for any other authority, to egress. Seams
   * for later stages: traffic splits in routing (logical service to concrete backend), per-route
   * timeouts and budgeted retries between routing and balancing, tap around metrics.
   */
  static HttpService outbound(
      WorkloadConfig workload,
      Supplier<MeshConfig> mesh,
      Destinations destinations,
      Upstreams upstreams,
      HttpMetrics metrics,
      EventRing events,
      ProxySettings settings) {
    Duration failFast = settings.outbound().failFastTimeout();
    Set<HostPort> self = Set.of(workload.proxy().outbound(), workload.proxy().inbound());
    // send over the endpoint's HTTP/1.1 pool or HTTP/2 connection, in the protocol received
    return Forward.to(upstreams)
        // pick an endpoint of the service (p2c over Peak-EWMA), waiting up to fail-fast for one
        .push(Balance.over(destinations, failFast))
        // Host / :authority names a mesh service; any other authority is egress to host:port
        .push(Route.byAuthority(mesh, self))
        // drop connection-scoped headers, both ways
        .push(HopByHop.strip())
        // typed failures become 502/503/504 (gRPC: a status in a trailers-only response)
        .push(Rescue.errors())
        // request_total, response_total, response_latency_ms
        .push(RecordMetrics.with(metrics))
        // req, rsp, end events into the tap event log (never bodies)
        .push(RecordTap.into(events))
        // an HTTP/1.1 chunked body's end is read before its last chunk is passed on, both ways
        .push(ChunkedBodies.readToEnd());
  }

  /** The inbound path: from anyone to this workload's app, in the protocol received. */
  static HttpService inbound(
      WorkloadConfig workload, Upstreams upstreams, HttpMetrics metrics, EventRing events) {
    // send to the app over its HTTP/1.1 pool or HTTP/2 connection, in the protocol received
    return Forward.to(upstreams)
        // every request goes to the app
        .push(Route.toApp(workload.app()))
        // drop connection-scoped headers, both ways
        .push(HopByHop.strip())
        // typed failures become 502/504 (gRPC: a status in a trailers-only response)
        .push(Rescue.errors())
        // request_total, response_total, response_latency_ms
        .push(RecordMetrics.with(metrics))
        // req, rsp, end events into the tap event log (never bodies)
        .push(RecordTap.into(events))
        // an HTTP/1.1 chunked body's end is read before its last chunk is passed on, both ways
        .push(ChunkedBodies.readToEnd());
  }

  /**
   * As {@link #start(ActorSystem, WorkloadConfig, Supplier, Destinations, ProxySettings,
   * ProxyIdentity)} without identity (plain connections; {@code /ready} once bound).
   */
  public static CompletionStage<Sidecar> start(
      ActorSystem<?> system,
      WorkloadConfig workload,
      Supplier<MeshConfig> mesh,
      Destinations destinations,
      ProxySettings settings) {
    return start(system, workload, mesh, destinations, settings,
        ProxyIdentity.disabled("disabled"));
  }

  /**
   * Binds the workload's outbound, inbound, admin and tap listeners and starts getting the proxy's
   * certificate (tap settings: {@code trellis.proxy.tap} in the system's config). Completes when all
   * are bound; {@code /ready} answers 200 from then on once
   * the identity has its first certificate (at once without identity). {@code /live} is 200
   * throughout.
   *
   * @param mesh the current mesh snapshot, read per request (e.g. {@code MeshUpdates::current})
   * @param identity the proxy's identity; its live credentials are {@link #identity()}
   */
  public static CompletionStage<Sidecar> start(
      ActorSystem<?> system,
      WorkloadConfig workload,
      Supplier<MeshConfig> mesh,
      Destinations destinations,
      ProxySettings settings,
      ProxyIdentity identity) {
    KamonSetup.start(settings.metricsTickInterval());
    // the certificate: a key in memory, a CSR to the identity service, renewed at 70%
    identity.start(system);
    HttpMetrics metrics = new HttpMetrics();
    Upstreams outboundClients =
        new Upstreams(system, settings.client(), settings.outbound().connectTimeout());
    Upstreams inboundClients =
        new Upstreams(system, settings.client(), settings.inbound().connectTimeout());
    ServerSettings serverSettings = PekkoHttpSettings.server(settings, system.settings().config());

    // One event log per proxy, both directions: the path appends, the actor reads.
    TapSettings tapSettings = TapSettings.fromConfig(system.settings().config());
    EventRing events = new EventRing(tapSettings.capacity());
    ActorRef<EventLog.Command> eventLog =
        system.systemActorOf(
            EventLog.create(events, tapSettings),
            "tap-event-log-" + workload.name() + "-" + EVENT_LOGS.incrementAndGet(),
            Props.empty());

    HttpService outbound =
        outbound(workload, mesh, destinations, outboundClients, metrics, events, settings);
    HttpService inbound = inbound(workload, inboundClients, metrics, events);
    Readiness readiness = new Readiness();
    AdminServer admin = new AdminServer(() -> readiness.ready() && identity.ready());

    Http http = Http.get(system);
    CompletableFuture<HttpListener> out =
        bind(system, workload.proxy().outbound(), serverSettings, Direction.OUTBOUND, outbound);
    CompletableFuture<HttpListener> in =
        bind(system, workload.proxy().inbound(), serverSettings, Direction.INBOUND, inbound);
    CompletableFuture<ServerBinding> adm =
        http.newServerAt(workload.proxy().admin().host(), workload.proxy().admin().port())
            .bind(handler(admin::handle))
            .toCompletableFuture();
    CompletableFuture<ServerBinding> tap =
        http.newServerAt(workload.proxy().tap().host(), workload.proxy().tap().port())
            .withSettings(grpcServer(system))
            .bind(TapHandlerFactory.create(new ProxyTapService(eventLog, tapSettings), system))
            .toCompletableFuture();
    return CompletableFuture.allOf(out, in, adm, tap)
        .whenComplete(
            (ok, failure) -> {
              // A partial start must not leave listeners behind.
              if (failure != null) {
                out.thenAccept(HttpListener::unbind);
                in.thenAccept(HttpListener::unbind);
                adm.thenAccept(ServerBinding::unbind);
                tap.thenAccept(ServerBinding::unbind);
                eventLog.tell(EventLog.Stop.INSTANCE);
                identity.stop();
                outboundClients.close();
                inboundClients.close();
              }
            })
        .thenApply(
            ok -> {
              readiness.set();
              return new Sidecar(
                  List.of(out.join(), in.join()),
                  List.of(adm.join(), tap.join()),
                  eventLog,
                  List.of(outboundClients, inboundClients),
                  out.join().localAddress(),
                  in.join().localAddress(),
                  adm.join().localAddress(),
                  tap.join().localAddress(),
                  identity);
            });
  }

  private static CompletableFuture<HttpListener> bind(
      ActorSystem<?> system,
      HostPort at,
      ServerSettings settings,
      Direction direction,
      HttpService service) {
    return HttpListener.bind(
            system, at, settings, request -> service.serve(request, Exchange.of(direction, request)))
        .toCompletableFuture();
  }

  /** The tap listener serves gRPC: HTTP/2 on, whatever the system's config says. */
  private static ServerSettings grpcServer(ActorSystem<?> system) {
    return ServerSettings.create(
        ConfigFactory.parseString(
                "pekko.http.server { enable-http2 = on, preview.enable-http2 = on }")
            .withFallback(system.settings().config()));
  }

  /** Names the handler type: {@code ServerBuilder.bind} is overloaded for lambdas. */
  private static Function<HttpRequest, CompletionStage<HttpResponse>> handler(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return handler;
  }

  public InetSocketAddress outboundAddress() {
    return outbound;
  }

  public InetSocketAddress inboundAddress() {
    return inbound;
  }

  public InetSocketAddress adminAddress() {
    return admin;
  }

  public InetSocketAddress tapAddress() {
    return tap;
  }

  /**
   * The proxy's identity: {@code identity().credentials()} / {@code whenCredentials()} give the
   * live {@link io.trellis.identity.tls.MeshCredentials} (updated in place on renewal) for the
   * data plane's TLS.
   */
  public ProxyIdentity identity() {
    return identity;
  }

  /** Stops accepting connections and lets requests in flight finish for up to {@code deadline}. */
  public CompletionStage<Done> stop(Duration deadline) {
    List<CompletableFuture<?>> terminated = new ArrayList<>();
    listeners.forEach(l -> terminated.add(l.terminate(deadline).toCompletableFuture()));
    bindings.forEach(b -> terminated.add(b.terminate(deadline).toCompletableFuture()));
    return CompletableFuture.allOf(terminated.toArray(CompletableFuture[]::new))
        .thenApply(
            ok -> {
              identity.stop();
              upstreams.forEach(Upstreams::close);
              eventLog.tell(EventLog.Stop.INSTANCE);
              return Done.getInstance();
            });
  }

  /** Set once, when every listener is bound. */
  private static final class Readiness {
    private volatile boolean ready;

    void set() {
      ready = true;
    }

    boolean ready() {
      return ready;
    }
  }
}
