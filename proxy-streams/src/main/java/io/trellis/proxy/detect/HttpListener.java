package io.trellis.proxy.detect;

import io.trellis.config.HostPort;
import io.trellis.proxy.http.Exchange;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.util.ByteString;
import java.util.concurrent.atomic.AtomicInteger;
import scala.concurrent.duration.FiniteDuration;

/**
 * One port serving HTTP/1.1 and HTTP/2 with prior knowledge (h2c), detected per connection from
 * its first bytes, and never upgrading an HTTP/1.1 connection to HTTP/2: an {@code Upgrade: h2c}
 * request is answered over HTTP/1.1, as Linkerd does.
 *
 * <p>Why not pekko's own HTTP/2-enabled binding: it takes every h2c upgrade offer (hard-wired in
 * pekko-http 1.3.0's {@code Http2Ext.handleUpgradeRequests}, no setting), and its upgrade answers
 * 101 before the upgrade request's body has been read, so the HTTP/1 layer treats it as an early
 * response and closes the connection: a streamed or large body on the first request of a
 * connection (Java's HttpClient offers the upgrade on every first request, POSTs included) breaks
 * the connection. And the requests that follow an upgrade come as HTTP/2 streams whose
 * {@code :authority} is the address the client dialed, not the Host header it set.
 *
 * <p>HTTP/1.1 connections are served in place: pekko's public HTTP/1 server layer ({@code
 * Http.serverLayer}, the same blueprint its bindings run, without upgrade handling) is joined to
 * the handler on the accepted connection itself. An earlier version spliced every connection to a
 * loopback pekko binding; that extra hop (two more sockets, another copy and actor round trip of
 * every byte each way) was a third of the proxy's TCP work in the profile. What a binding adds
 * around its server layer is done here: the connection limit ({@code max-connections}, for the
 * port as a whole), the idle timeout, pipelining ({@code pipelining-limit}) and graceful
 * termination (see {@link #terminate}).
 *
 * <p>HTTP/2 has no public per-connection server flow in pekko-http, so h2c connections (rare for a
 * sidecar's HTTP/1 apps, the norm for gRPC) are still spliced, bytes untouched, to an
 * HTTP/2-enabled pekko binding on a loopback ephemeral port that is only ever handed connections
 * starting with the preface.
 */
public final class HttpListener implements ProxyListener {
  private final Tcp.ServerBinding front;
  private final Http1Connections http1;
  private final ServerBinding http2;
  private final OtherProtocols.HttpServers servers;

  private HttpListener(
      Tcp.ServerBinding front,
      Http1Connections http1,
      ServerBinding http2,
      OtherProtocols.HttpServers servers) {
    this.servers = servers;
    this.front = front;
    this.http1 = http1;
    this.http2 = http2;
  }

  /**
   * Binds {@code at}; completes once the port accepts connections.
   *
   * @param settings pekko server settings with HTTP/2 enabled (its HTTP/2 settings are used for
   *     h2c connections)
   */
  public static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      HostPort at,
      ServerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return bind(system, at, settings, handler, null, UnaryOperator.identity());
  }

  /** As below, without metering plaintext HTTP connections. */
  public static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      HostPort at,
      ServerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      OtherProtocols others) {
    return bind(system, at, settings, handler, others, UnaryOperator.identity());
  }

  /**
   * Binds {@code at} with detection of TLS and opaque TCP besides HTTP.
   *
   * @param others serves TLS and opaque connections; null: everything not h2c is HTTP/1.1
   * @param plainHttp wraps each plaintext HTTP connection's flow (TCP metrics; TLS and opaque
   *     connections are metered by {@code others})
   */
  public static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      HostPort at,
      ServerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      OtherProtocols others,
      UnaryOperator<Flow<ByteString, ByteString, NotUsed>> plainHttp) {
    return bind(
        system,
        InetSocketAddress.createUnresolved(at.host(), at.port()),
        settings,
        handler,
        others,
        plainHttp,
        true);
  }

  /**
   * As above; {@code meterHttp1} false leaves plaintext HTTP/1.1 connections out of {@code
   * plainHttp} (the fused path's delegate: those connections carry requests whose client
   * connection is metered already).
   *
   * @param at host and port (0: an ephemeral port)
   */
  public static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      InetSocketAddress at,
      ServerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      OtherProtocols others,
      UnaryOperator<Flow<ByteString, ByteString, NotUsed>> plainHttp,
      boolean meterHttp1) {
    Http http = Http.get(system);
    String loopback = InetAddress.getLoopbackAddress().getHostAddress();
    Http1Connections http1 = new Http1Connections(system, settings, handler);
    SplicedPeers peers = new SplicedPeers();
    Function<HttpRequest, CompletionStage<HttpResponse>> tagged =
        request -> handler.apply(peers.tag(request));
    CompletableFuture<ServerBinding> http2 =
        http.newServerAt(loopback, 0)
            .withSettings(settings.withEnableHttp2(true).withRemoteAddressAttribute(true))
            .bind(tagged)
            .toCompletableFuture();
    CompletableFuture<HttpListener> listener =
        http2
            .thenCompose(
                h2 ->
                    front(
                        system,
                        at,
                        settings,
                        http1,
                        h2.localAddress(),
                        peers,
                        others,
                        plainHttp,
                        meterHttp1))
            .thenApply(
                front ->
                    new HttpListener(
                        front,
                        http1,
                        http2.join(),
                        (kind, from, peer) ->
                            http(
                                Tcp.get(system), http1, http2.join().localAddress(), peers, kind,
                                from, peer)));
    // A listener that did not come up must not leave its server bound.
    listener.whenComplete(
        (ok, failure) -> {
          if (failure != null) {
            http2.thenAccept(ServerBinding::unbind);
          }
        });
    return listener;
  }

  /**
   * The public port: every connection it accepts is served as HTTP/1.1 or spliced to the HTTP/2
   * server. At most {@code max-connections} are open at once, as a pekko binding counts them; more
   * wait in the accept backlog.
   */
  private static CompletionStage<Tcp.ServerBinding> front(
      ActorSystem<?> system,
      InetSocketAddress at,
      ServerSettings settings,
      Http1Connections http1,
      InetSocketAddress http2,
      SplicedPeers peers,
      OtherProtocols others,
      UnaryOperator<Flow<ByteString, ByteString, NotUsed>> plainHttp,
      boolean meterHttp1) {
    Materializer mat = Materializer.matFromSystem(system);
    Tcp tcp = Tcp.get(system);
    // halfClose = false and no TCP idle timeout, as pekko binds: HTTP/1.1 connections get the
    // server's idle timeout in http1.flow, the HTTP/2 server behind closes idle h2c connections
    // and the splice ends with them.
    return tcp.bind(at.getHostString(), at.getPort(), settings.getBacklog(), List.of(), false, Optional.empty())
        .mapAsyncUnordered(
            settings.getMaxConnections(),
            c ->
                c.handleWith(
                    splice(
                            tcp, http1, http2, peers, others, plainHttp, meterHttp1,
                            c.remoteAddress())
                        // a connection that fails (reset, idle timeout) only frees its slot; a
                        // failed element would fail the accept stream and unbind the port
                        .watchTermination(
                            (m, done) -> done.handle((ok, failure) -> Done.getInstance())),
                    mat))
        .to(Sink.ignore())
        .run(mat);
  }

  /** Detects the protocol from the connection's first bytes, then serves or pipes it. */
  private static Flow<ByteString, ByteString, NotUsed> splice(
      Tcp tcp,
      Http1Connections http1,
      InetSocketAddress http2,
      SplicedPeers peers,
      OtherProtocols others,
      UnaryOperator<Flow<ByteString, ByteString, NotUsed>> plainHttp,
      boolean meterHttp1,
      InetSocketAddress remote) {
    OtherProtocols.HttpServers http =
        (kind, from, peer) -> http(tcp, http1, http2, peers, kind, from, peer);
    return Sniff.thenServe(
        detect(others),
        head ->
            switch (classify(others, head)) {
              case HTTP1 ->
                  meterHttp1 ? plainHttp.apply(http1.flow(remote, null)) : http1.flow(remote, null);
              case HTTP2 ->
                  plainHttp.apply(http(tcp, http1, http2, peers, Detected.HTTP2, remote, null));
              case TLS -> others.serve(Detected.TLS, remote, http);
              case OPAQUE -> others.serve(Detected.OPAQUE, remote, http);
            });
  }

  /** Without {@link OtherProtocols}, only the preface is looked for, as before TLS detection. */
  private static Flow<ByteString, ByteString, NotUsed> detect(OtherProtocols others) {
    if (others == null) {
      return Preface.decisiveHead();
    }
    OtherProtocols.Limits limits = others.limits();
    return Sniff.head(
        others.opaque() ? head -> !head.isEmpty() : Detected::decisive,
        limits.maxPrefix(),
        limits.timeout());
  }

  private static Detected classify(OtherProtocols others, ByteString head) {
    if (others == null) {
      return Preface.isHttp2(head) ? Detected.HTTP2 : Detected.HTTP1;
    }
    Detected kind = Detected.of(head);
    return others.opaque() && kind != Detected.TLS ? Detected.OPAQUE : kind;
  }

  /** The HTTP servers: HTTP/1.1 in place, h2c spliced to the HTTP/2 binding. */
  private static Flow<ByteString, ByteString, NotUsed> http(
      Tcp tcp,
      Http1Connections http1,
      InetSocketAddress http2,
      SplicedPeers peers,
      Detected kind,
      InetSocketAddress remote,
      String peerIdentity) {
    if (kind != Detected.HTTP2) {
      return http1.flow(remote, peerIdentity);
    }
    // halfClose = true: when the client stops sending, the server behind still gets
    // to finish its response, as it would on a direct connection.
    Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> splice =
        tcp.outgoingConnection(
            http2, Optional.empty(), List.of(), true, Optional.empty(), Optional.empty());
    return peerIdentity == null
        ? splice.mapMaterializedValue(m -> NotUsed.getInstance())
        : peers.splice(splice, peerIdentity);
  }

  /**
   * The identities of mTLS connections spliced to the HTTP/2 server, by the splice's local
   * address (the server sees it as the request's remote address). A splice is registered before
   * its first byte is sent and removed when it ends, so every request of the connection finds it.
   */
  private static final class SplicedPeers {
    private final ConcurrentHashMap<InetSocketAddress, String> byAddress =
        new ConcurrentHashMap<>();

    Flow<ByteString, ByteString, NotUsed> splice(
        Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connection,
        String peerIdentity) {
      CompletableFuture<InetSocketAddress> registered = new CompletableFuture<>();
      return Flow.<ByteString>create()
          // holds the client's bytes until the splice is registered
          .mapAsync(
              1,
              bytes ->
                  registered.isDone()
                      ? CompletableFuture.completedFuture(bytes)
                      : registered.thenApply(a -> bytes))
          .viaMat(
              connection,
              (m, connected) -> {
                connected.whenComplete(
                    (c, failure) -> {
                      if (failure != null) {
                        registered.completeExceptionally(failure);
                      } else {
                        byAddress.put(c.localAddress(), peerIdentity);
                        registered.complete(c.localAddress());
                      }
                    });
                return NotUsed.getInstance();
              })
          .watchTermination(
              (m, done) -> {
                done.whenComplete(
                    (ok, failure) -> registered.thenAccept(byAddress::remove));
                return m;
              });
    }

    /** Tags a request of a registered splice with its peer's identity. */
    HttpRequest tag(HttpRequest request) {
      if (byAddress.isEmpty()) {
        return request;
      }
      RemoteAddress from = request.getAttribute(AttributeKeys.remoteAddress).orElse(null);
      if (from == null || from.getAddress().isEmpty()) {
        return request;
      }
      String peer = byAddress.get(new InetSocketAddress(from.getAddress().get(), from.getPort()));
      return peer == null ? request : request.addAttribute(Exchange.PEER_IDENTITY, peer);
    }
  }

  /**
   * This listener's HTTP servers for connections accepted elsewhere (the fused path's port):
   * HTTP/1.1 served in place, h2c spliced to the HTTP/2 server; {@code peerIdentity} is the
   * verified mTLS client's, or null.
   */
  public OtherProtocols.HttpServers servers() {
    return servers;
  }

  @Override
  public InetSocketAddress localAddress() {
    return front.localAddress();
  }

  /** Stops accepting connections; connections already open stay. */
  @Override
  public CompletionStage<Done> unbind() {
    return front.unbind().thenApply(ok -> Done.getInstance());
  }

  /**
   * Stops accepting connections and lets requests in flight finish for up to {@code deadline}
   * (pekko's graceful termination for h2c; for HTTP/1.1 connections: until every request in
   * flight has its response, then they close).
   */
  public CompletionStage<Done> terminate(Duration deadline) {
    return unbind()
        .thenCompose(
            ok ->
                CompletableFuture.allOf(
                    http1.terminate(deadline).toCompletableFuture(),
                    http2.terminate(deadline).toCompletableFuture()))
        .thenApply(ok -> Done.getInstance());
  }

  /** The HTTP/1.1 connections of one listener, served in place. */
  private static final class Http1Connections {
    private final ActorSystem<?> system;
    private final ServerSettings settings;
    private final Function<HttpRequest, CompletionStage<HttpResponse>> handler;
    private final SharedKillSwitch killSwitch = KillSwitches.shared("http1-connections");
    /** Requests handed to the handler whose response has not come back yet. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CompletableFuture<Done> idle = new CompletableFuture<>();
    private volatile boolean terminating;

    Http1Connections(
        ActorSystem<?> system,
        ServerSettings settings,
        Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
      this.system = system;
      this.settings = settings.withEnableHttp2(false);
      this.handler = handler;
    }

    /** One connection's bytes in, bytes out: pekko's HTTP/1 server layer around the handler. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    Flow<ByteString, ByteString, NotUsed> flow(InetSocketAddress remote, String peerIdentity) {
      BidiFlow<HttpResponse, TLSProtocol.SslTlsOutbound, TLSProtocol.SslTlsInbound, HttpRequest,
              NotUsed>
          http = Http.get(system).serverLayer(settings, Optional.of(remote), system.classicSystem().log());
      // Plaintext: the placebo only wraps and unwraps bytes (SessionBytes is an SslTlsInbound).
      BidiFlow tls = TLSPlacebo.getInstance();
      BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> layers =
          http.atop(tls);
      scala.concurrent.duration.Duration idleTimeout = settings.getTimeouts().idleTimeout();
      if (idleTimeout instanceof FiniteDuration finite) {
        // No bytes either way for this long closes the connection, as a pekko binding does.
        layers =
            layers.atop(
                BidiFlow.<ByteString, ByteString>bidirectionalIdleTimeout(
                    Duration.ofNanos(finite.toNanos())));
      }
      Flow<HttpRequest, HttpResponse, NotUsed> serve =
          peerIdentity == null
              ? Flow.<HttpRequest>create().mapAsync(settings.getPipeliningLimit(), this::handle)
              : Flow.<HttpRequest>create()
                  .map(r -> (HttpRequest) r.addAttribute(Exchange.PEER_IDENTITY, peerIdentity))
                  .mapAsync(settings.getPipeliningLimit(), this::handle);
      return serve.join(layers).via(killSwitch.flow());
    }

    private CompletionStage<HttpResponse> handle(HttpRequest request) throws Exception {
      inFlight.incrementAndGet();
      CompletionStage<HttpResponse> response;
      try {
        response = handler.apply(request);
      } catch (Exception | Error e) {
        done();
        throw e;
      }
      return response.whenComplete((r, failure) -> done());
    }

    private void done() {
      if (inFlight.decrementAndGet() == 0 && terminating) {
        idle.complete(Done.getInstance());
      }
    }

    /** Waits for the responses in flight (at most {@code deadline}), then closes every connection. */
    CompletionStage<Done> terminate(Duration deadline) {
      terminating = true;
      if (inFlight.get() == 0) {
        idle.complete(Done.getInstance());
      }
      system
          .scheduler()
          .scheduleOnce(deadline, () -> idle.complete(Done.getInstance()), system.executionContext());
      return idle.thenApply(
          ok -> {
            killSwitch.shutdown();
            return Done.getInstance();
          });
    }
  }
}
