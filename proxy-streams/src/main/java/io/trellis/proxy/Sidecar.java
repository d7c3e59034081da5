package io.trellis.proxy;

import com.typesafe.config.ConfigFactory;
import io.trellis.api.tap.TapHandlerFactory;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import io.trellis.proxy.admin.AdminServer;
import io.trellis.proxy.balance.Destinations;
import io.trellis.proxy.detect.HttpListener;
import io.trellis.proxy.detect.ProxyListener;
import io.trellis.proxy.fused.FusedListener;
import io.trellis.proxy.fused.FusedPath;
import io.trellis.proxy.http1.HeadParser;
import io.trellis.proxy.split.Backends;
import io.trellis.proxy.transport.ChannelStage;
import io.trellis.proxy.transport.LoopTransport;
import io.trellis.config.Endpoint;
import java.net.InetAddress;
import java.util.concurrent.CompletionStage;
import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.fault.InjectFaults;
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
import io.trellis.config.Endpoint;
import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.tls.MeshCredentials;
import io.trellis.identity.tls.TlsContexts;
import io.trellis.proxy.detect.OtherProtocols;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.tcp.TcpForward;
import io.trellis.proxy.tcp.UpstreamListener;
import io.trellis.proxy.tls.InboundConnections;
import io.trellis.proxy.tls.OutboundTls;
import io.trellis.proxy.metrics.WorkloadLabels;
import io.trellis.proxy.metrics.RecordRouteMetrics;
import io.trellis.proxy.metrics.RouteMetrics;
import io.trellis.proxy.profile.Profiles;
import io.trellis.proxy.profile.SelectRoute;
import io.trellis.proxy.retry.Retries;
import io.trellis.proxy.split.SelectBackend;
import io.trellis.proxy.timeout.RouteTimeout;
import io.trellis.proxy.tap.EventLog;
import io.trellis.proxy.tap.EventRing;
import io.trellis.proxy.tap.ProxyTapService;
import io.trellis.proxy.tap.RecordTap;
import io.trellis.proxy.tap.TapSettings;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
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
import org.apache.pekko.stream.Materializer;

/**
 * A workload's sidecar proxy: the composition root. It builds the outbound and inbound request
 * paths from named stages (read them innermost first, as in linkerd2-proxy's {@code mk_sidecar})
 * and binds them, with the admin listener, on the workload's proxy ports.
 *
 * <p>The outbound and inbound listeners serve HTTP/1.1 and HTTP/2 (h2c prior knowledge) on the same
 * port, detected per connection; h2c upgrade offers are declined (see {@link HttpListener}).
 */
public final class Sidecar {
  private final List<ProxyListener> listeners;
  private final List<ServerBinding> bindings;
  private final List<UpstreamListener> upstreamListeners;
  private final ActorRef<EventLog.Command> eventLog;
  private final List<Upstreams> upstreams;
  private final InetSocketAddress outbound;
  private final InetSocketAddress inbound;
  private final InetSocketAddress admin;
  private final InetSocketAddress tap;

  private static final AtomicLong EVENT_LOGS = new AtomicLong();
  private final ProxyIdentity identity;

  private Sidecar(
      List<ProxyListener> listeners,
      List<ServerBinding> bindings,
      List<UpstreamListener> upstreamListeners,
      ActorRef<EventLog.Command> eventLog,
      List<Upstreams> upstreams,
      InetSocketAddress outbound,
      InetSocketAddress inbound,
      InetSocketAddress admin,
      InetSocketAddress tap,
      ProxyIdentity identity) {
    this.identity = identity;
    this.listeners = listeners;
    this.bindings = bindings;
    this.upstreamListeners = upstreamListeners;
    this.eventLog = eventLog;
    this.upstreams = upstreams;
    this.outbound = outbound;
    this.inbound = inbound;
    this.admin = admin;
    this.tap = tap;
  }

  /**
   * The outbound path: from the app to a mesh service or, for any other authority, to egress.
   */
  static HttpService outbound(
      ActorSystem<?> system,
      WorkloadConfig workload,
      Supplier<MeshConfig> mesh,
      Destinations destinations,
      Upstreams upstreams,
      Profiles profiles,
      HttpMetrics metrics,
      RouteMetrics routeMetrics,
      EventRing events,
      Function<Exchange, TlsLabels> tls,
      ProxySettings settings) {
    Duration failFast = settings.outbound().failFastTimeout();
    Set<HostPort> self = Set.of(workload.proxy().outbound(), workload.proxy().inbound());
    // send over the endpoint's HTTP/1.1 pool or HTTP/2 connection, in the protocol received
    return Forward.to(upstreams)
        // pick an endpoint of the service (p2c over Peak-EWMA), waiting up to fail-fast for one
        .push(Balance.over(destinations, failFast))
        // the concrete backend: a header rule's, else a TrafficSplit's weighted draw
        .push(SelectBackend.of(mesh))
        // retryable routes: failed attempts go again (to a freshly picked endpoint) within budget
        .push(Retries.budgeted(routeMetrics, Materializer.matFromSystem(system), System::nanoTime,
            settings.routes().maxRetryBody()))
        // the route's faults: delay a share (on the scheduler), abort a share with its status
        .push(InjectFaults.on(system))
        // the route's timeout bounds the request, retries included: 504 and the call cancelled
        .push(RouteTimeout.bound(system))
        // route_request_total, route_response_total, route_response_latency_ms per route
        .push(RecordRouteMetrics.with(routeMetrics))
        // the service's ServiceProfile route: first match, else [DEFAULT]
        .push(SelectRoute.outbound(profiles))
        // Host / :authority names a mesh service; any other authority is egress to host:port
        .push(Route.byAuthority(mesh, self))
        // drop connection-scoped headers, both ways
        .push(HopByHop.strip())
        // typed failures become 502/503/504 (gRPC: a status in a trailers-only response)
        .push(Rescue.errors())
        // request_total, response_total, response_latency_ms
        .push(RecordMetrics.with(metrics))
        // req, rsp, end events into the tap event log (never bodies)
        .push(RecordTap.into(events, tls))
        // an HTTP/1.1 chunked body's end is read before its last chunk is passed on, both ways
        .push(ChunkedBodies.readToEnd());
  }

  /** The inbound path: from anyone to this workload's app, in the protocol received. */
  static HttpService inbound(
      WorkloadConfig workload,
      Supplier<MeshConfig> mesh,
      Upstreams upstreams,
      Profiles profiles,
      HttpMetrics metrics,
      RouteMetrics routeMetrics,
      EventRing events,
      Function<Exchange, TlsLabels> tls) {
    // send to the app over its HTTP/1.1 pool or HTTP/2 connection, in the protocol received
    return Forward.to(upstreams)
        // route_request_total, route_response_total, route_response_latency_ms per route
        .push(RecordRouteMetrics.with(routeMetrics))
        // the addressed service's ServiceProfile route (what `trellis routes` reads)
        .push(SelectRoute.inbound(profiles, mesh))
        // every request goes to the app
        .push(Route.toApp(workload.app()))
        // drop connection-scoped headers, both ways
        .push(HopByHop.strip())
        // typed failures become 502/504 (gRPC: a status in a trailers-only response)
        .push(Rescue.errors())
        // request_total, response_total, response_latency_ms
        .push(RecordMetrics.with(metrics))
        // req, rsp, end events into the tap event log (never bodies)
        .push(RecordTap.into(events, tls))
        // an HTTP/1.1 chunked body's end is read before its last chunk is passed on, both ways
        .push(ChunkedBodies.readToEnd());
  }

  /**
   * Binds the workload's outbound, inbound and admin listeners, without an identity: every
   * connection is plaintext. Completes when all three are bound; from then on {@code /ready}
   * answers 200.
   *
   * @param mesh the current mesh snapshot, read per request (e.g. {@code MeshUpdates::current})
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
   * As {@link #start(ActorSystem, WorkloadConfig, Supplier, Destinations, ProxySettings,
   * ProxyIdentity)} with credentials someone else keeps (tests); empty: no identity.
   */
  public static CompletionStage<Sidecar> start(
      ActorSystem<?> system,
      WorkloadConfig workload,
      Supplier<MeshConfig> mesh,
      Destinations destinations,
      ProxySettings settings,
      Optional<MeshCredentials> credentials) {
    return start(system, workload, mesh, destinations, settings,
        credentials.map(ProxyIdentity::fixed).orElseGet(() -> ProxyIdentity.disabled("disabled")));
  }

  /**
   * Binds the workload's outbound, inbound, admin, tap and upstream listeners and starts getting the
   * proxy's certificate. Completes when all are bound; {@code /ready} answers 200 from then on
   * once the identity has its first certificate (at once without identity); inbound TLS is
   * refused until then. {@code /live} is 200 throughout.
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
    KamonSetup.start(
        settings.metricsMinRefresh(), WorkloadLabels.of(mesh.get().namespace(), workload.name()));
    // the certificate: a key in memory, a CSR to the identity service, renewed at 70%
    identity.start(system);
    Optional<MeshCredentials> credentials = identity.liveCredentials();
    TcpMetrics tcpMetrics = new TcpMetrics();
    Optional<TlsContexts> tls = credentials.map(TlsContexts::create);
    OutboundTls outboundTls = tls.map(OutboundTls::new).orElse(null);
    IdentitySettings names = IdentitySettings.fromConfig(system.settings().config());
    // The identity an endpoint's proxy must prove: its service account's, in this mesh.
    Function<Endpoint, Optional<IdentityName>> identities =
        e ->
            e.meshed() && e.serviceAccount() != null
                ? Optional.of(names.identityOf(e.serviceAccount(), mesh.get().namespace()))
                : Optional.empty();
    Function<Exchange, TlsLabels> httpTls = exchange -> httpTls(exchange, outboundTls, identities);
    HttpMetrics metrics = new HttpMetrics(httpTls);
    RouteMetrics routeMetrics = new RouteMetrics();
    Profiles profiles = new Profiles(mesh, settings.routes().defaultTimeout());
    Upstreams outboundClients =
        new Upstreams(
            system,
            settings.client(),
            settings.outbound().connectTimeout(),
            outboundTls,
            identities,
            tcpMetrics);
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
        outbound(system, workload, mesh, destinations, outboundClients, profiles, metrics,
            routeMetrics, events, httpTls, settings);
    HttpService inbound =
        inbound(workload, mesh, inboundClients, profiles, metrics, routeMetrics, events, httpTls);
    // mTLS, opaque TCP and opaque ports on the inbound listener
    InboundConnections others =
        new InboundConnections(
            tls,
            new TcpForward(system, tcpMetrics, settings.inbound().connectTimeout()),
            workload.app(),
            new OtherProtocols.Limits(settings.detect().maxPrefix(), settings.detect().timeout()),
            () -> mesh.get().inboundOpaque(workload));
    // The proxy is ready once its listeners are bound and, with an identity, it has a certificate.
    Readiness readiness =
        new Readiness(() -> credentials.map(MeshCredentials::isReady).orElse(true));
    AdminServer admin = new AdminServer(readiness::ready);

    Http http = Http.get(system);
    // the app's own connections to its proxy (Linkerd: no_identity, loopback)
    TlsLabels outboundPlain = tls.isPresent() ? TlsLabels.noIdentity("loopback") : TlsLabels.DISABLED;
    TlsLabels inboundPlain = tls.isPresent() ? TlsLabels.NOT_PROVIDED_BY_REMOTE : TlsLabels.DISABLED;
    CompletableFuture<ProxyListener> out;
    CompletableFuture<ProxyListener> in;
    if (settings.transport().kind() == ProxySettings.Transport.Kind.LOOP) {
      // The fused HTTP/1.1 path on our selector loops; everything else through the pekko
      // listeners, bound on loopback ports behind it.
      Fused fused =
          new Fused(system, settings, serverSettings, tcpMetrics, mesh, destinations, profiles,
              metrics, routeMetrics, events, httpTls);
      Endpoint app = new Endpoint(workload.app(), null, null);
      out =
          fused.bind(workload.proxy().outbound(), Direction.OUTBOUND, outbound, null, null,
              identities, outboundTls, outboundPlain);
      in =
          fused.bind(workload.proxy().inbound(), Direction.INBOUND, inbound, others, app,
              e -> Optional.empty(), null, inboundPlain);
    } else {
      out =
          bind(system, address(workload.proxy().outbound()), serverSettings, Direction.OUTBOUND, outbound,
              null, tcpMetrics, outboundPlain, true).thenApply(l -> l);
      in =
          bind(system, address(workload.proxy().inbound()), serverSettings, Direction.INBOUND, inbound,
              others, tcpMetrics, inboundPlain, true).thenApply(l -> l);
    }
    CompletableFuture<ServerBinding> adm =
        http.newServerAt(workload.proxy().admin().host(), workload.proxy().admin().port())
            .bind(handler(admin::handle))
            .toCompletableFuture();
    CompletableFuture<ServerBinding> tap =
        http.newServerAt(workload.proxy().tap().host(), workload.proxy().tap().port())
            .withSettings(grpcServer(system))
            .bind(TapHandlerFactory.create(new ProxyTapService(eventLog, tapSettings), system))
            .toCompletableFuture();
    UpstreamListener.Wiring wiring =
        new UpstreamListener.Wiring(
            mesh,
            destinations,
            new TcpForward(system, tcpMetrics, settings.outbound().connectTimeout()),
            outboundTls,
            identities,
            settings.outbound().failFastTimeout());
    List<CompletableFuture<UpstreamListener>> ups = new ArrayList<>();
    workload
        .upstreams()
        .forEach(
            (service, port) ->
                ups.add(
                    UpstreamListener.bind(
                            system, new HostPort(workload.address(), port), service, wiring)
                        .toCompletableFuture()));
    List<CompletableFuture<?>> all = new ArrayList<>(List.of(out, in, adm, tap));
    all.addAll(ups);
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ok, failure) -> {
              // A partial start must not leave listeners behind.
              if (failure != null) {
                out.thenAccept(ProxyListener::unbind);
                in.thenAccept(ProxyListener::unbind);
                adm.thenAccept(ServerBinding::unbind);
                ups.forEach(u -> u.thenAccept(UpstreamListener::unbind));
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
                  ups.stream().map(CompletableFuture::join).toList(),
                  eventLog,
                  List.of(outboundClients, inboundClients),
                  out.join().localAddress(),
                  in.join().localAddress(),
                  adm.join().localAddress(),
                  tap.join().localAddress(),
                  identity);
            });
  }

  /**
   * HTTP metrics' and tap's tls labels: outbound, the identity the endpoint must prove ({@code
   * server_id}; the connection is refused otherwise); inbound, the client identity the request's
   * mTLS connection verified ({@code client_id}), else plaintext ({@code not_provided_by_remote}).
   */
  private static TlsLabels httpTls(
      Exchange exchange,
      OutboundTls tls,
      Function<Endpoint, Optional<IdentityName>> identities) {
    if (tls == null) {
      return TlsLabels.DISABLED;
    }
    if (exchange.direction() == Direction.INBOUND) {
      return exchange.peerIdentity() != null
          ? TlsLabels.secured(exchange.peerIdentity())
          : TlsLabels.NOT_PROVIDED_BY_REMOTE;
    }
    Endpoint endpoint = exchange.endpoint();
    return (endpoint == null ? Optional.<IdentityName>empty() : identities.apply(endpoint))
        .map(id -> TlsLabels.secured(id.value()))
        .orElse(TlsLabels.NOT_PROVIDED_BY_DISCOVERY);
  }

  private static CompletableFuture<HttpListener> bind(
      ActorSystem<?> system,
      InetSocketAddress at,
      ServerSettings settings,
      Direction direction,
      HttpService service,
      OtherProtocols others,
      TcpMetrics tcpMetrics,
      TlsLabels plainTls,
      boolean meterHttp1) {
    return HttpListener.bind(
            system,
            at,
            settings,
            request -> service.serve(request, Exchange.of(direction, request)),
            others,
            // plaintext HTTP connections' TCP metrics (TLS and opaque ones: others meters them)
            flow -> tcpMetrics.meterPlain(
                new TcpMetrics.Labels(direction, TcpMetrics.Peer.SRC, plainTls), flow),
            meterHttp1)
        .toCompletableFuture();
  }

  private static InetSocketAddress address(HostPort at) {
    return InetSocketAddress.createUnresolved(at.host(), at.port());
  }

  /**
   * The fused path's listeners ({@code trellis.proxy.transport.kind = loop}): a {@link
   * FusedListener} on the workload's port, in front of the same side's pekko listener on a
   * loopback port (its delegate).
   */
  private static final class Fused {
    private final ActorSystem<?> system;
    private final ProxySettings settings;
    private final ServerSettings serverSettings;
    private final TcpMetrics tcpMetrics;
    private final Supplier<MeshConfig> mesh;
    private final Destinations destinations;
    private final Profiles profiles;
    private final HttpMetrics metrics;
    private final RouteMetrics routeMetrics;
    private final EventRing events;
    private final Function<Exchange, TlsLabels> tls;
    private final Backends backends;
    private final CompletionStage<LoopTransport> transport;

    Fused(ActorSystem<?> system, ProxySettings settings, ServerSettings serverSettings,
        TcpMetrics tcpMetrics, Supplier<MeshConfig> mesh, Destinations destinations,
        Profiles profiles, HttpMetrics metrics, RouteMetrics routeMetrics, EventRing events,
        Function<Exchange, TlsLabels> tls) {
      this.system = system;
      this.settings = settings;
      this.serverSettings = serverSettings;
      this.tcpMetrics = tcpMetrics;
      this.mesh = mesh;
      this.destinations = destinations;
      this.profiles = profiles;
      this.metrics = metrics;
      this.routeMetrics = routeMetrics;
      this.events = events;
      this.tls = tls;
      this.backends = new Backends(mesh);
      this.transport =
          LoopTransport.start(
              system.classicSystem(), settings.transport().loops(), ChannelStage.Options.defaults());
    }

    CompletableFuture<ProxyListener> bind(
        HostPort at,
        Direction direction,
        HttpService service,
        InboundConnections others,
        Endpoint app,
        Function<Endpoint, Optional<IdentityName>> identities,
        OutboundTls outboundTls,
        TlsLabels plainTls) {
      ProxySettings.Server server = settings.server();
      HeadParser.Limits limits =
          new HeadParser.Limits(
              (int) Math.min(1 << 20, server.maxHeaderValueLength() + server.maxUriLength()),
              server.maxHeaderCount() - 1); // pekko admits max-header-count - 1
      OtherProtocols.Limits detect =
          new OtherProtocols.Limits(settings.detect().maxPrefix(), settings.detect().timeout());
      InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
      return Sidecar.bind(system, loopback, serverSettings, direction, service, others,
              tcpMetrics, plainTls, false)
          .thenCompose(
              delegate ->
                  transport.thenCompose(
                      loop ->
                          FusedListener.bind(
                              at,
                              serverSettings.getBacklog(),
                              server.maxConnections(),
                              new FusedPath(direction, mesh, destinations, backends, profiles,
                                  metrics, routeMetrics, events, tls, app, identities,
                                  outboundTls, tcpMetrics,
                                  delegate.localAddress(), loop, limits,
                                  direction == Direction.OUTBOUND
                                      ? settings.outbound().connectTimeout()
                                      : settings.inbound().connectTimeout(),
                                  server.idleTimeout(), 8,
                                  settings.outbound().failFastTimeout(),
                                  settings.transport().directUpstreams()),
                              delegate,
                              others,
                              detect,
                              flow -> tcpMetrics.meterPlain(
                                  new TcpMetrics.Labels(direction, TcpMetrics.Peer.SRC, plainTls),
                                  flow))))
          .thenApply(l -> (ProxyListener) l)
          .toCompletableFuture();
    }
  }

  /** The tap listener serves gRPC: HTTP/2 on, whatever the system's config says. */
  private static ServerSettings grpcServer(ActorSystem<?> system) {
    return ServerSettings.create(
        ConfigFactory.parseString(
                "pekko.http.server { enable-http2 = on, preview.enable-http2 = on }")
            .withFallback(system.settings().config()));
  }

  /** Names the handler type: {@code ServerBuilder.bind} is overloaded for lambdas. */
  private static org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>
      handler(
          org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>
              handler) {
    return handler;
  }

  /**
   * The proxy's identity: {@code identity().liveCredentials()} is the one
   * {@link io.trellis.identity.tls.MeshCredentials} the data plane's TLS reads (updated in place
   * on renewal).
   */
  public ProxyIdentity identity() {
    return identity;
  }

  /**
   * Endpoint pools the pekko path's HTTP clients opened (both sides): requests the fused path
   * served itself never open one.
   */
  public int pekkoClientPools() {
    return upstreams.stream().mapToInt(Upstreams::pools).sum();
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

  /** Stops accepting connections and lets requests in flight finish for up to {@code deadline}. */
  public CompletionStage<Done> stop(Duration deadline) {
    List<CompletableFuture<?>> terminated = new ArrayList<>();
    listeners.forEach(l -> terminated.add(l.terminate(deadline).toCompletableFuture()));
    bindings.forEach(b -> terminated.add(b.terminate(deadline).toCompletableFuture()));
    upstreamListeners.forEach(u -> terminated.add(u.unbind().toCompletableFuture()));
    return CompletableFuture.allOf(terminated.toArray(CompletableFuture[]::new))
        .thenApply(
            ok -> {
              identity.stop();
              upstreams.forEach(Upstreams::close);
              eventLog.tell(EventLog.Stop.INSTANCE);
              return Done.getInstance();
            });
  }

  /** Set once, when every listener is bound; with an identity, also waits for a certificate. */
  private static final class Readiness {
    private final BooleanSupplier certified;
    private volatile boolean bound;

    Readiness(BooleanSupplier certified) {
      this.certified = certified;
    }

    void set() {
      bound = true;
    }

    boolean ready() {
      return bound && certified.getAsBoolean();
    }
  }
}
