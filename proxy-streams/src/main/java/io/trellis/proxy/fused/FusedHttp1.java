package io.trellis.proxy.fused;

import io.trellis.config.Endpoint;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.balance.Destination;
import io.trellis.proxy.balance.EndpointHandle;
import io.trellis.proxy.errors.ProxyError;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http1.Http1Decoder;
import io.trellis.proxy.http1.Http1Encoder;
import io.trellis.proxy.http1.Http1Part;
import io.trellis.proxy.http1.Http1Part.Data;
import io.trellis.proxy.http1.Http1Part.Empty;
import io.trellis.proxy.http1.Http1Part.End;
import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Length;
import io.trellis.proxy.http1.Http1Part.Malformed;
import io.trellis.proxy.http1.Http1Relay;
import io.trellis.proxy.metrics.HttpMetrics;
import io.trellis.proxy.metrics.RouteMetrics;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.identity.IdentityName;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.profile.ProfileRoute;
import io.trellis.proxy.split.BackendTable;
import io.trellis.proxy.tap.TapRecord;
import io.trellis.proxy.http1.MalformedHttp;
import io.trellis.proxy.transport.ChannelStage;
import io.trellis.proxy.transport.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * One client HTTP/1.1 connection of the fused data path: decoded request parts in (from {@link
 * Http1Decoder#requests}), response bytes out, and the upstream connections it needs opened as
 * sub-streams fused into the same graph, so that a request crosses the proxy on the event loop
 * thread that read it, with no actor message, future or materialization per request.
 *
 * <p>Per request it does what the pekko-http path's stages do, from the snapshots their owners
 * publish: routing by Host ({@code Route}), a traffic split's or header rule's backend ({@code
 * SelectBackend}), the ServiceProfile route ({@code SelectRoute}) and its timeout ({@code
 * RouteTimeout}: 504), power of two choices over Peak-EWMA ({@code Balance}, outcome reported to
 * the endpoint without waiting), Linkerd's HTTP and route metrics, tap events, hop-by-hop header
 * stripping (the codec re-encodes every head) and 502 answers for upstream failures.
 *
 * <p>A request needing what this path does not do (retries, fault injection, egress, mTLS to the
 * endpoint, no endpoint yet, HTTP/1.0, a request target not in origin form, CONNECT or Upgrade) is
 * <em>delegated</em>: relayed as it is to the same side's pekko-http listener on loopback, whose
 * stages serve it (and count it); the answer comes back through here untouched.
 *
 * <p>Bounded: one element in flight each way, requests of a connection served one after another
 * (pipelined requests wait in the socket), at most {@link FusedPath#maxUpstreams()} upstream
 * connections per client connection.
 */
public final class FusedHttp1 extends GraphStage<FlowShape<Http1Part, ByteString>> {
  private static final String TIMEOUT = "route-timeout";
  private static final String IDLE = "idle";
  private static final String CONNECT = "connect";
  private static final String PUBLICATION = "first-publication";

  private final Inlet<Http1Part> in = Inlet.create("FusedHttp1.requests");
  private final Outlet<ByteString> out = Outlet.create("FusedHttp1.responses");
  private final FlowShape<Http1Part, ByteString> shape = FlowShape.of(in, out);
  private final FusedPath path;
  private final InetSocketAddress client;
  private final String peerIdentity;
  private final Function<AsyncCallback<Boolean>, Runnable> register;

  /**
   * @param client the connection's peer (tap's {@code src})
   * @param peerIdentity inbound: the client proxy's identity the connection's mTLS handshake
   *     verified; null on a plaintext connection
   * @param register called once with the callback that drains this connection (graceful
   *     termination: the connection closes after the request in flight); returns what undoes
   *     the registration, run when the connection ends
   */
  public FusedHttp1(
      FusedPath path,
      InetSocketAddress client,
      String peerIdentity,
      Function<AsyncCallback<Boolean>, Runnable> register) {
    this.path = path;
    this.client = client;
    this.peerIdentity = peerIdentity;
    this.register = register;
  }

  /** Fails with its connections (a peer's reset): not logged as a stage error. */
  @Override
  public Attributes initialAttributes() {
    return io.trellis.proxy.transport.ChannelStage.NOT_LOGGED;
  }

  @Override
  public FlowShape<Http1Part, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  /**
   * One upstream connection. Either a sub-stream writing bytes and reading decoded responses (mTLS
   * connections, or {@code directUpstreams} off), or <em>direct</em>: a plaintext socket this
   * stage writes and reads itself on its loop, decoding responses with {@link
   * Http1Decoder.Parser}. A sub-stream's elements cross between the two graphs as actor messages
   * (an element, its pull, each part of a response: six or more per request); a direct
   * connection's readiness is the only event that comes from outside the stage.
   */
  private final class Upstream {
    final InetSocketAddress address;
    /** The identity the endpoint's proxy proves over mTLS; null: plaintext. */
    final IdentityName identity;
    final ArrayDeque<String> methods = new ArrayDeque<>(2);
    /** Sub-stream connections only (null when direct). */
    final GraphStageLogic.SubSourceOutlet<ByteString> toServer;
    final GraphStageLogic.SubSinkInlet<Http1Part> fromServer;
    /** Requests this connection carried before the current one (a reused connection). */
    int served;
    boolean closed;
    ByteString pending;
    /** Something was pushed to the connection stage; its next pull means it was written. */
    boolean pushed;
    boolean connected;

    // Direct connections only (all on the loop thread that runs this stage).
    final SocketChannel channel;
    final Http1Decoder.Parser parser;
    SelectionKey key;
    EventLoop loop;
    /** Readiness seen by the loop and not yet handled by the stage. */
    int readyOps;
    /** What the socket did not take of the element being written. */
    ByteBuffer unwritten;
    /** {@code OP_READ} is in the key's interest set (kept there while parts are wanted). */
    boolean readArmed;
    /** The stage wants the next response part (the sub-stream's pull). */
    boolean partWanted;
    /** The socket reached end of stream. */
    boolean eof;
    /** Parts are being handed to the stage: a part wanted meanwhile is handed by the same turn. */
    boolean delivering;

    /** A sub-stream connection. */
    Upstream(Logic logic, InetSocketAddress address, IdentityName identity) {
      this.address = address;
      this.identity = identity;
      this.toServer = logic.new SubSourceOutlet<ByteString>("FusedHttp1.toServer");
      this.fromServer = logic.new SubSinkInlet<Http1Part>("FusedHttp1.fromServer");
      this.channel = null;
      this.parser = null;
    }

    /** A direct connection over {@code channel} (non-blocking, connected or connecting). */
    Upstream(InetSocketAddress address, SocketChannel channel) {
      this.address = address;
      this.identity = null;
      this.toServer = null;
      this.fromServer = null;
      this.channel = channel;
      this.parser = Http1Decoder.Parser.responses(methods, path.limits());
    }

    boolean direct() {
      return channel != null;
    }

    /** A response part was asked for and has not come yet. */
    boolean partAsked() {
      return direct() ? partWanted : fromServer.hasBeenPulled();
    }

    /** No more response parts will come. */
    boolean partsEnded() {
      return direct() ? closed : fromServer.isClosed();
    }
  }

  /** The request being served (at most one per connection). */
  private static final class Call {
    Head request;
    Upstream upstream;
    /** Where the request goes, and over mTLS with which identity (null: plaintext). */
    InetSocketAddress target;
    IdentityName identity;
    /** Null when delegated: the delegate serves and counts it. */
    Exchange exchange;
    ProfileRoute route;
    EndpointHandle.Dispatch dispatch;
    TapRecord tap;
    boolean requestEnded;
    boolean headSent;
    Head response;
    long responseNanos;
    long responseBytes;
    boolean retried;
    /** When the route timeout answers 504 ({@link System#nanoTime}); 0: no timeout. */
    long deadlineNanos;
    /** A response to HEAD, or a 204/304: no body whatever its headers say. */
    boolean bodyless;
    /**
     * Set while the request waits for its service's first snapshot (a destination its own
     * lookup created); {@code awaited} once it did, so that it waits once at most.
     */
    Destination awaiting;
    boolean awaited;
    /**
     * A Content-Length response's head, held until its first body bytes and encoded with them in
     * one array, so that both go out in one write (the server wrote them together; they are
     * decoded from the same read).
     */
    Head heldHead;
  }

  private final class Logic extends TimerGraphStageLogic {
    private final Map<InetSocketAddress, Upstream> upstreams = new LinkedHashMap<>(4, 0.75f, true);
    private Call call;
    /** The client's connection stays open after the current exchange. */
    private boolean keepAlive = true;
    private boolean draining;
    private boolean clientDone;
    private ByteString pendingToClient;
    private boolean closeAfterPending;
    private Runnable deregister = () -> {};
    private AsyncCallback<Call> published;
    /** A direct upstream connection's readiness (its {@code readyOps}), from its loop. */
    private AsyncCallback<Upstream> upstreamReady;
    /** Parts of a direct connection read already, asked for outside a delivery. */
    private AsyncCallback<Upstream> deliverLater;
    /**
     * Timers are not scheduled per request (each schedule and cancel is work for the scheduler
     * thread): one route-timeout timer and one idle timer per connection, each re-armed for what
     * is left when it fires early. When each is due ({@link System#nanoTime}); 0: not armed.
     */
    private long timeoutDue;
    private long idleDue;
    /** When the connection last went idle (no request in flight). */
    private long idleSince = System.nanoTime();
    // The last request's instruments: a connection's requests mostly share their target.
    private Endpoint lastEndpoint;
    private ServiceRef lastBackend;
    private String lastAuthority;
    private TlsLabels lastTls;
    private HttpMetrics.Route lastMetrics;
    private ProfileRoute lastRoute;
    private RouteMetrics.Route lastRouteMetrics;

    Logic() {
      super(shape);
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              Http1Part part = grab(in);
              if (call == null) {
                begin(part);
              } else {
                requestPart(part);
              }
            }

            @Override
            public void onUpstreamFinish() {
              clientDone = true;
              if (call == null) {
                completeStage();
              } else if (!call.requestEnded) {
                // the client stopped sending in the middle of a body: the request cannot complete
                abandon(call, "client closed the request body", false);
                completeStage();
              }
              // else: the response in flight still goes out, then the connection closes
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (pendingToClient != null) {
                ByteString bytes = pendingToClient;
                pendingToClient = null;
                push(out, bytes);
                if (closeAfterPending) {
                  completeStage();
                }
                return;
              }
              if (call != null && call.upstream != null && !call.upstream.closed) {
                Upstream u = call.upstream;
                if (!u.partAsked() && !u.partsEnded()) {
                  askPart(u, true);
                  if (u.direct()) {
                    deliver(u); // what was read already, now (the handler's last action)
                  }
                }
              }
            }
          });
    }

    @Override
    public void preStart() {
      deregister = register.apply(createAsyncCallback(this::drain));
      published = createAsyncCallback(this::resume);
      upstreamReady = createAsyncCallback(this::onUpstreamReady);
      deliverLater = createAsyncCallback(this::deliver);
      armIdle();
      pull(in);
    }

    /** Arms the idle timer unless it is armed already (it re-arms itself for what is left). */
    private void armIdle() {
      if (idleDue == 0) {
        idleDue = System.nanoTime() + path.idleTimeout().toNanos();
        scheduleOnce(IDLE, path.idleTimeout());
      }
    }

    /** Arms the route timer for {@code deadline} unless it is armed for an earlier time. */
    private void armTimeout(long deadline) {
      if (timeoutDue == 0 || deadline < timeoutDue) {
        timeoutDue = deadline;
        scheduleOnce(TIMEOUT, java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      }
    }

    @Override
    public void postStop() {
      deregister.run();
      if (call != null) {
        abandon(call, "connection closed", false);
      }
      for (Upstream u : upstreams.values()) {
        closeUpstream(u);
      }
      upstreams.clear();
    }

    private void drain(Boolean unused) {
      draining = true;
      keepAlive = false;
      if (call == null && pendingToClient == null) {
        completeStage();
      }
    }

    @Override
    public void onTimer(Object key) {
      long now = System.nanoTime();
      if (IDLE.equals(key)) {
        idleDue = 0;
        if (call == null && pendingToClient == null) {
          long left = idleSince + path.idleTimeout().toNanos() - now;
          if (left <= 0) {
            completeStage();
          } else {
            idleDue = now + left;
            scheduleOnce(IDLE, java.time.Duration.ofNanos(left));
          }
        } else {
          armIdle(); // busy: look again later
        }
      } else if (CONNECT.equals(key)
          && call != null
          && !call.headSent
          && call.upstream != null
          && !call.upstream.connected) {
        Call c = call;
        String message =
            c.exchange == null
                ? "proxy error: connect to " + c.upstream.address + " timed out"
                : ProxyError.connectTimeout(
                        c.exchange.endpoint().address(), path.connectTimeout(), null)
                    .getMessage();
        fail(c, 504, message, false);
      } else if (PUBLICATION.equals(key)) {
        if (call != null && call.target == null) {
          resume(call);
        }
      } else if (TIMEOUT.equals(key)) {
        timeoutDue = 0;
        Call c = call;
        if (c == null || c.headSent || c.deadlineNanos == 0) {
          return; // the request it was armed for is over; the next one arms it again
        }
        if (now - c.deadlineNanos >= 0) {
          ProfileRoute route = c.route;
          fail(
              c,
              504,
              ProxyError.routeTimeout(route.dst(), route.name(), route.timeout()).getMessage(),
              true);
        } else {
          armTimeout(c.deadlineNanos);
        }
      }
    }

    // ---- requests -------------------------------------------------------------------------

    private void begin(Http1Part part) {
      if (part instanceof Malformed m) {
        answerAndClose(Http1Relay.answer(m));
        return;
      }
      if (!(part instanceof Head head)) {
        throw new IllegalStateException("a request starts with its head, got " + part);
      }
      Call c = new Call();
      c.request = head;
      call = c;
      if (!head.keepAlive() || draining) {
        keepAlive = false;
      }
      c.target = route(c);
      if (c.target == null) {
        awaitPublication(c);
        return;
      }
      send(c);
    }

    /**
     * The first request for a service creates its destination, which is empty until the service's
     * actor publishes (within a millisecond here; a round trip to the control plane with the
     * destination API). Delegating that request would start the pekko listener's HTTP client in
     * every proxy for one request (~750 classes, 4 MB of the proxy's peak RSS, bench/RESULTS.md
     * session 4). The request waits here instead, with the client's bytes held back, for the
     * first snapshot or for the fail-fast timeout, then is routed again; with no endpoint even
     * then it is delegated, whose pekko path waits for one up to the fail-fast timeout and answers
     * 504 as before.
     */
    private void awaitPublication(Call c) {
      Destination destination = c.awaiting;
      c.awaiting = null;
      c.awaited = true;
      scheduleOnce(PUBLICATION, path.failFast());
      destination.whenPublished().thenRun(() -> published.invoke(c));
    }

    private void resume(Call c) {
      if (call != c || c.target != null) {
        return; // the client went away meanwhile, or the timer resumed it first
      }
      cancelTimer(PUBLICATION);
      c.target = route(c);
      if (c.target == null) {
        c.target = path.delegate(); // cannot happen: a call waits once
      }
      send(c);
    }

    /**
     * Decides where {@code c} goes: fills in its exchange, route and dispatch when this path
     * serves it; returns the address to send it to (the delegate when delegated).
     */
    private InetSocketAddress route(Call c) {
      Head head = c.request;
      long now = System.nanoTime();
      String hostHeader = head.header("host");
      if (hostHeader == null
          || head.version() != 1
          || head.target().isEmpty()
          || head.target().charAt(0) != '/'
          || head.method().equals("CONNECT")
          || head.header("upgrade") != null) {
        return path.delegate();
      }
      String authority = hostHeader.toLowerCase(java.util.Locale.ROOT);
      String pathOnly = pathOf(head.target());
      if (path.direction() == Direction.INBOUND) {
        Exchange exchange =
            new Exchange(Direction.INBOUND, now, authority, false, peerIdentity);
        exchange.endpoint(path.app());
        InetSocketAddress app = path.addressOf(path.app().address());
        if (app == null) {
          return path.delegate();
        }
        ServiceRef service = path.mesh().get().resolve(authority, 80).orElse(null);
        if (service != null) {
          exchange.route(path.profiles().table(service).select(head.method(), pathOnly));
        }
        return serve(c, exchange, app, null, now, pathOnly);
      }
      ServiceRef service = path.mesh().get().resolve(authority, 80).orElse(null);
      if (service == null) {
        return path.delegate(); // egress
      }
      ProfileRoute route = path.profiles().table(service).select(head.method(), pathOnly);
      if (route.retryable() || route.fault() != null) {
        return path.delegate();
      }
      BackendTable table = path.backends().table(service);
      ServiceRef backend =
          table == null ? service : table.pick(head::header, ThreadLocalRandom.current());
      Destination destination = path.destinations().destination(backend);
      EndpointHandle handle = destination.pick();
      if (handle == null) {
        if (!c.awaited && !destination.whenPublished().toCompletableFuture().isDone()) {
          c.awaiting = destination;
          return null; // waits for the first snapshot (awaitPublication), then routed again
        }
        return path.delegate(); // waits for endpoints up to the fail-fast timeout, then 504
      }
      Endpoint endpoint = handle.endpoint();
      InetSocketAddress address = path.addressOf(endpoint.address());
      if (address == null) {
        return path.delegate();
      }
      // mTLS when this proxy has an identity and the endpoint's proxy must prove one
      c.identity =
          path.outboundTls() == null ? null : path.identities().apply(endpoint).orElse(null);
      Exchange exchange = new Exchange(Direction.OUTBOUND, now, authority, false, null);
      exchange.service(service);
      exchange.backend(backend);
      exchange.route(route);
      exchange.endpoint(endpoint);
      return serve(c, exchange, address, handle, now, pathOnly);
    }

    private InetSocketAddress serve(
        Call c,
        Exchange exchange,
        InetSocketAddress address,
        EndpointHandle handle,
        long now,
        String pathOnly) {
      c.exchange = exchange;
      c.route = exchange.route();
      Head head = c.request;
      c.tap =
          TapRecord.req(
              path.events().nextRequestId(),
              exchange.direction(),
              client,
              exchange.endpoint().address(),
              tlsOf(exchange),
              head.method(),
              exchange.authority(),
              pathOnly,
              "http",
              System.currentTimeMillis());
      if (c.route != null && c.route.timeout() != null) {
        c.deadlineNanos = now + c.route.timeout().toNanos();
        if (c.deadlineNanos == 0) {
          c.deadlineNanos = 1; // 0 means none
        }
        armTimeout(c.deadlineNanos);
      }
      if (handle != null) {
        c.dispatch = handle.dispatch(now);
      }
      return address;
    }

    /** The exchange's tls labels, computed once per connection and target. */
    private TlsLabels tlsOf(Exchange x) {
      metricsOf(x);
      return lastTls;
    }

    /** The exchange's HTTP instruments, looked up once per connection and target. */
    private HttpMetrics.Route metricsOf(Exchange x) {
      if (lastMetrics == null
          || x.endpoint() != lastEndpoint
          || !java.util.Objects.equals(x.backend(), lastBackend)
          || !x.authority().equals(lastAuthority)) {
        lastTls = path.tls().apply(x);
        lastMetrics = path.metrics().route(x, lastTls);
        lastEndpoint = x.endpoint();
        lastBackend = x.backend();
        lastAuthority = x.authority();
      }
      return lastMetrics;
    }

    private RouteMetrics.Route routeMetricsOf(Exchange x, ProfileRoute route) {
      if (route != lastRoute) {
        lastRouteMetrics = path.routeMetrics().route(x.direction(), route);
        lastRoute = route;
      }
      return lastRouteMetrics;
    }

    private void send(Call c) {
      Upstream u = upstreams.get(c.target);
      if (u == null || u.closed) {
        u = open(c.target, c.identity);
      }
      c.upstream = u;
      u.methods.add(c.request.method());
      emitToServer(u, Http1Encoder.head(upstreamHead(c.request)));
      if (!u.closed && isAvailable(out) && !u.partAsked() && !u.partsEnded()) {
        askPart(u, false);
      }
    }

    private void requestPart(Http1Part part) {
      Call c = call;
      if (part instanceof Malformed m) {
        // a broken body: the request cannot be completed
        abandon(c, m.reason(), false);
        answerAndClose(Http1Relay.answer(m));
        return;
      }
      ByteString bytes;
      if (part instanceof Data d) {
        bytes = chunkedRequest(c) ? Http1Encoder.chunk(d.bytes()) : d.bytes();
      } else if (part instanceof End e) {
        c.requestEnded = true;
        bytes = chunkedRequest(c) ? Http1Encoder.lastChunk(e.trailers()) : null;
      } else {
        throw new IllegalStateException("a second head before the request ended: " + part);
      }
      if (c.upstream == null || c.upstream.closed) {
        // answered already (error, timeout): the rest of the body is read and dropped
        if (!c.requestEnded) {
          pull(in);
        } else if (c.headSent && c.response == null) {
          finish();
        }
        return;
      }
      if (bytes == null || bytes.isEmpty()) {
        if (!c.requestEnded) {
          pull(in);
        }
        return;
      }
      emitToServer(c.upstream, bytes);
    }

    private void emitToServer(Upstream u, ByteString bytes) {
      if (u.direct()) {
        if (!u.connected || u.unwritten != null) {
          u.pending = bytes; // written once connected, or once the previous element is
        } else {
          try {
            writeDirect(u, bytes);
          } catch (IOException e) {
            upstreamGone(u, e);
          }
        }
        return;
      }
      if (u.toServer.isAvailable()) {
        u.pushed = true;
        u.toServer.push(bytes);
      } else {
        u.pending = bytes;
      }
    }

    private boolean chunkedRequest(Call c) {
      return !(c.request.framing() instanceof Length || c.request.framing() instanceof Empty);
    }

    // ---- upstream connections -------------------------------------------------------------

    private Upstream open(InetSocketAddress address, IdentityName identity) {
      if (upstreams.size() >= path.maxUpstreams()) {
        Iterator<Upstream> lru = upstreams.values().iterator();
        while (lru.hasNext()) {
          Upstream old = lru.next();
          if (call == null || old != call.upstream) {
            closeUpstream(old);
            lru.remove();
            break;
          }
        }
      }
      EventLoop loop = EventLoop.current();
      if (identity == null && path.directUpstreams() && loop != null) {
        Upstream direct = openDirect(address, loop);
        if (direct != null) {
          return direct;
        }
      }
      Upstream u = new Upstream(this, address, identity);
      u.toServer.setHandler(
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (u.pushed && !u.connected) {
                u.connected = true; // the stage wrote what it was given: the socket is connected
                cancelTimer(CONNECT);
              }
              if (u.pending != null) {
                ByteString bytes = u.pending;
                u.pending = null;
                u.pushed = true;
                u.toServer.push(bytes);
              } else {
                moreRequestBody(u);
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              // The connection stopped taking bytes. Its reading side says why (a TLS alert, a
              // reset, the end of the stream): wait for that unless this is the failure itself.
              if (cause instanceof SubscriptionWithCancelException.NonFailureCancellation
                  && !u.fromServer.isClosed()) {
                return;
              }
              upstreamGone(u, cause);
            }
          });
      u.fromServer.setHandler(
          new AbstractInHandler() {
            @Override
            public void onPush() {
              response(u, u.fromServer.grab());
            }

            @Override
            public void onUpstreamFinish() {
              upstreamGone(u, null);
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              upstreamGone(u, ex);
            }
          });
      Flow<ByteString, ByteString, NotUsed> connection = path.transport().open(address);
      if (identity != null) {
        connection =
            path.tcpMetrics()
                .meterPlain(
                    new TcpMetrics.Labels(
                        Direction.OUTBOUND,
                        TcpMetrics.Peer.DST,
                        TlsLabels.secured(identity.value())),
                    path.outboundTls().http1(identity, connection));
      }
      Source.fromGraph(u.toServer.source())
          .via(connection)
          .via(Http1Decoder.responses(u.methods, path.limits()))
          .runWith(u.fromServer.sink(), subFusingMaterializer());
      upstreams.put(address, u);
      scheduleOnce(CONNECT, path.connectTimeout());
      return u;
    }

    /**
     * Asks for the next response part. A direct connection hands it over when it is read, or,
     * when it was read already, by the delivery running now ({@code deliveredByCaller}: the
     * caller delivers as its last action) or else by one that comes next, outside this call.
     */
    private void askPart(Upstream u, boolean deliveredByCaller) {
      if (!u.direct()) {
        u.fromServer.pull();
        return;
      }
      u.partWanted = true;
      if (u.connected && !u.readArmed && !u.eof) {
        u.readArmed = true;
        u.loop.arm(u.key, SelectionKey.OP_READ);
      }
      if (!deliveredByCaller && !u.delivering && (u.eof || u.parser.buffered())) {
        deliverLater.invoke(u);
      }
    }

    // ---- direct upstream connections ------------------------------------------------------

    private Upstream openDirect(InetSocketAddress address, EventLoop loop) {
      SocketChannel channel = null;
      Upstream u;
      try {
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        u = new Upstream(address, channel);
        u.loop = loop;
        u.connected = channel.connect(address);
        u.key =
            loop.register(
                channel,
                u.connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT,
                (EventLoop.ReadKeepingHandler)
                    (k, ready) -> {
                      u.readyOps |= ready;
                      upstreamReady.invoke(u);
                    });
        u.readArmed = u.connected;
      } catch (IOException e) {
        if (channel != null) {
          try {
            channel.close();
          } catch (IOException ignored) {
            // closing anyway
          }
        }
        return null; // the sub-stream connection reports the failure as it always has
      }
      upstreams.put(address, u);
      if (!u.connected) {
        scheduleOnce(CONNECT, path.connectTimeout());
      }
      return u;
    }

    private void onUpstreamReady(Upstream u) {
      int ready = u.readyOps;
      u.readyOps = 0;
      if (u.closed) {
        return;
      }
      try {
        if ((ready & SelectionKey.OP_CONNECT) != 0) {
          try {
            u.channel.finishConnect();
          } catch (IOException e) {
            java.net.ConnectException ce =
                new java.net.ConnectException("cannot connect to " + u.address + ": " + e);
            ce.initCause(e);
            throw ce;
          }
          u.connected = true;
          cancelTimer(CONNECT);
          u.readArmed = true;
          u.loop.arm(u.key, SelectionKey.OP_READ);
          if (u.pending != null) {
            ByteString bytes = u.pending;
            u.pending = null;
            writeDirect(u, bytes);
          }
        }
        if ((ready & SelectionKey.OP_WRITE) != 0 && u.unwritten != null && !u.closed) {
          u.channel.write(u.unwritten);
          if (u.unwritten.hasRemaining()) {
            u.loop.arm(u.key, SelectionKey.OP_WRITE);
          } else {
            u.unwritten = null;
            writtenDirect(u);
          }
        }
        if ((ready & SelectionKey.OP_READ) != 0 && u.readArmed && !u.closed) {
          readDirect(u);
        }
      } catch (IOException e) {
        upstreamGone(u, e);
      }
    }

    /** Writes {@code bytes} at once; what the socket does not take waits for writability. */
    private void writeDirect(Upstream u, ByteString bytes) throws IOException {
      u.unwritten = ChannelStage.write(u.channel, bytes);
      if (u.unwritten != null) {
        u.loop.arm(u.key, SelectionKey.OP_WRITE);
        return;
      }
      writtenDirect(u);
    }

    /** An element is written whole: the next one, or more of the request body. */
    private void writtenDirect(Upstream u) {
      if (u.pending != null) {
        ByteString bytes = u.pending;
        u.pending = null;
        try {
          writeDirect(u, bytes);
        } catch (IOException e) {
          upstreamGone(u, e);
        }
      } else {
        moreRequestBody(u);
      }
    }

    /** {@code u} took what it was given: the next part of the request it carries, if any. */
    private void moreRequestBody(Upstream u) {
      if (call != null
          && call.upstream == u
          && !call.requestEnded
          && !hasBeenPulled(in)
          && !isClosed(in)) {
        pull(in);
      }
    }

    /**
     * One read. Bytes go to the parser; parts are handed over while they are wanted. A readiness
     * while no part is wanted still reads once (so that a server closing an idle connection is
     * seen at once), then reads stop until a part is wanted: what is buffered stays bounded.
     */
    private void readDirect(Upstream u) throws IOException {
      ByteBuffer buffer = ChannelStage.readBuffer(path.transport().options().readBufferSize());
      int n;
      try {
        n = u.channel.read(buffer);
        if (n > 0) {
          buffer.flip();
          u.parser.feed(ByteString.fromByteBuffer(buffer)); // a copy
        }
      } finally {
        buffer.clear(); // the thread's buffer: free for the next read, whatever happened
      }
      if (n < 0) {
        u.eof = true;
        u.readArmed = false;
        u.loop.disarm(u.key, SelectionKey.OP_READ); // end of stream stays readable
      }
      if (!u.partWanted) {
        if (u.readArmed) {
          u.readArmed = false;
          u.loop.disarm(u.key, SelectionKey.OP_READ); // armed again when a part is wanted
        }
        if (u.eof && !u.parser.buffered() && (call == null || call.upstream != u)) {
          upstreamGone(u, null); // an idle connection the server closed: not kept
        }
        return;
      }
      deliver(u);
    }

    /**
     * Hands the parts read so far over while they are wanted; at the end of the input, the end of
     * the connection. Parts wanted while this runs (a head held for its body) are handed over by
     * the same loop; never re-entered.
     */
    private void deliver(Upstream u) {
      if (u.delivering) {
        return;
      }
      u.delivering = true;
      try {
        while (!u.closed && u.partWanted) {
          Http1Part part;
          try {
            part = u.parser.next();
          } catch (MalformedHttp e) {
            part = u.parser.malformed(e);
          }
          if (part == null) {
            if (!u.eof) {
              return; // more bytes needed: reads are armed while a part is wanted
            }
            try {
              part = u.parser.atEnd();
            } catch (IOException truncated) {
              upstreamGone(u, truncated); // closes it: no more parts
              return;
            }
            if (part == null) {
              upstreamGone(u, null);
              return;
            }
          }
          u.partWanted = false;
          response(u, part);
          if (u.parser.done() && !u.closed) {
            upstreamGone(u, null);
            return;
          }
        }
      } finally {
        u.delivering = false;
      }
    }

    private void closeUpstream(Upstream u) {
      if (u.closed) {
        return;
      }
      u.closed = true;
      if (u.direct()) {
        u.unwritten = null;
        u.pending = null;
        try {
          u.channel.close(); // on its loop: the selector lets the descriptor go at its next select
        } catch (IOException ignored) {
          // closing anyway
        }
        return;
      }
      if (!u.toServer.isClosed()) {
        u.toServer.complete();
      }
      if (!u.fromServer.isClosed()) {
        u.fromServer.cancel();
      }
    }

    /** The connection ended or failed: the request on it (if any) gets a 502 or is retried. */
    private void upstreamGone(Upstream u, Throwable cause) {
      boolean wasClosed = u.closed;
      closeUpstream(u);
      upstreams.remove(u.address, u);
      Call c = call;
      if (wasClosed || c == null || c.upstream != u) {
        return;
      }
      if (c.response == null) {
        // Nothing came back. A reused connection the server closed while idle is the usual
        // cause; a request without a body, read whole, is sent once more on a new connection.
        if (u.served > 0 && !c.retried && c.requestEnded && c.request.framing() instanceof Empty) {
          c.retried = true;
          send(c);
          return;
        }
        String detail = cause == null ? "connection closed before a response" : cause.toString();
        String message;
        if (c.exchange == null) {
          message = "proxy error: " + detail;
        } else if (cause instanceof java.net.ConnectException) {
          message = ProxyError.connectRefused(c.exchange.endpoint().address(), cause).getMessage();
        } else {
          message =
              ProxyError.endpointIo(c.exchange.endpoint().address(), detail, cause).getMessage();
        }
        fail(c, 502, message, false);
      } else {
        // the response was cut short: the client's connection cannot be trusted either
        abandon(
            c, cause == null ? "connection closed in the response body" : cause.toString(), true);
        failStage(
            new java.io.IOException(
                "upstream " + u.address + " ended in a response body", cause));
      }
    }

    // ---- responses ------------------------------------------------------------------------

    private void response(Upstream u, Http1Part part) {
      Call c = call;
      if (c == null || c.upstream != u) {
        // nothing asked: the connection is out of step, drop it
        closeUpstream(u);
        upstreams.remove(u.address, u);
        return;
      }
      if (part instanceof Malformed m) {
        upstreamGone(u, new java.io.IOException("malformed response: " + m.reason()));
        return;
      }
      if (part instanceof Head head) {
        responseHead(c, head);
      } else if (part instanceof Data d) {
        c.responseBytes += d.bytes().size();
        ByteString bytes = chunkedResponse(c) ? Http1Encoder.chunk(d.bytes()) : d.bytes();
        if (c.heldHead != null) {
          bytes = Http1Encoder.head(c.heldHead, bytes); // one array for both
          c.heldHead = null;
        }
        push(out, bytes);
      } else if (part instanceof End e) {
        if (c.heldHead != null) {
          push(out, Http1Encoder.head(c.heldHead));
          c.heldHead = null;
        } else if (chunkedResponse(c)) {
          push(out, Http1Encoder.lastChunk(e.trailers()));
        }
        responseEnded(c, e, u);
      }
    }

    private void responseHead(Call c, Head head) {
      if (head.status() == 101) {
        // protocol switches are not relayed here (nor by the pekko path)
        upstreamGone(c.upstream, new java.io.IOException("101 Switching Protocols not supported"));
        return;
      }
      boolean interim = head.status() < 200;
      if (!interim) {
        if (!c.requestEnded) {
          keepAlive = false; // an early answer: the rest of the body would be read as a request
        }
        c.response = head;
        c.bodyless =
            c.request.method().equals("HEAD") || head.status() == 204 || head.status() == 304;
        c.responseNanos = System.nanoTime();
        Exchange x = c.exchange;
        if (x != null) {
          long millis = (c.responseNanos - x.startNanos()) / 1_000_000L;
          HttpMetrics.Route m = metricsOf(x);
          m.request();
          m.latency(head.status(), millis);
          path.events().append(c.tap);
          path.events()
              .appendResponse(
                  c.tap, head.status(), c.responseNanos - x.startNanos(), null, wallNow());
        }
      }
      Head toClient =
          new Head(
              null,
              null,
              head.status(),
              head.reason(),
              1,
              head.headers(),
              interim ? head.framing() : clientFraming(c, head),
              interim || (keepAlive && !clientDone));
      c.headSent |= !interim;
      if (!interim
          && !c.bodyless
          && head.framing() instanceof Length l
          && l.length() > 0
          && !c.upstream.partsEnded()) {
        c.heldHead = toClient; // encoded with its first body bytes
        askPart(c.upstream, false); // out stays available for head + first body bytes
        return;
      }
      push(out, Http1Encoder.head(toClient));
    }

    private boolean chunkedResponse(Call c) {
      Head r = c.response;
      return r != null
          && !c.bodyless
          && !(r.framing() instanceof Length || r.framing() instanceof Empty);
    }

    /**
     * The framing the client is told: the server's, but for a HEAD response, whose
     * Content-Length (the GET's body size) is kept although no body follows.
     */
    private Http1Part.Framing clientFraming(Call c, Head head) {
      if (c.request.method().equals("HEAD")) {
        String length = head.header("content-length");
        if (length != null) {
          try {
            return new Length(Long.parseLong(length.trim()));
          } catch (NumberFormatException e) {
            return head.framing();
          }
        }
      }
      return head.framing();
    }

    private void responseEnded(Call c, End end, Upstream u) {
      int status = c.response.status();
      Exchange x = c.exchange;
      if (x != null) {
        record(c, status, false, false);
        path.events().appendEnd(
                c.tap,
                status,
                System.nanoTime() - c.responseNanos,
                null,
                c.responseBytes,
                null,
                wallNow());
      }
      u.served++;
      if (!c.response.keepAlive() || !c.requestEnded) {
        // the server closes, or the request body was not all sent: the connection is done
        closeUpstream(u);
        upstreams.remove(u.address, u);
      }
      finish();
    }

    /**
     * Counts the outcome in the HTTP and route metrics and reports it to the endpoint; outbound,
     * the attempt also counts as the route's actual request and response (as the retry stage
     * counts an attempt), but for a timeout, which cancels it.
     */
    private void record(Call c, int status, boolean failed, boolean timedOut) {
      Exchange x = c.exchange;
      ProfileRoute route = c.route;
      metricsOf(x).response(status, failed || status >= 500, null);
      if (route != null) {
        boolean failure = failed || route.failure(status, false, null);
        RouteMetrics.Route r = routeMetricsOf(x, route);
        r.request(status, (c.responseNanos - x.startNanos()) / 1_000_000L);
        r.response(status, failure, false, null, false);
        if (x.direction() == Direction.OUTBOUND) {
          r.actualRequest();
          if (!timedOut) {
            r.response(status, failure, false, null, true);
          }
        }
      }
      if (c.dispatch != null) {
        c.dispatch.complete(System.nanoTime(), failed || status >= 500);
        c.dispatch = null;
      }
    }

    /** The exchange is over: next request, or close. */
    private void finish() {
      call = null;
      if (!keepAlive || clientDone) {
        if (pendingToClient != null) {
          closeAfterPending = true;
        } else {
          completeStage();
        }
        return;
      }
      idleSince = System.nanoTime();
      armIdle();
      if (!hasBeenPulled(in) && !isClosed(in)) {
        pull(in);
      }
    }

    // ---- answers of our own -------------------------------------------------------------

    /**
     * Answers {@code c} with {@code status} (no response head was sent yet) and gives up its
     * upstream connection; counts it like the pekko path counts its own answers.
     */
    private void fail(Call c, int status, String message, boolean timedOut) {
      Upstream u = c.upstream;
      if (u != null) {
        closeUpstream(u);
        upstreams.remove(u.address, u);
      }
      Exchange x = c.exchange;
      c.headSent = true;
      c.responseNanos = System.nanoTime();
      if (x != null) {
        HttpMetrics.Route m = metricsOf(x);
        m.request();
        m.latency(status, (c.responseNanos - x.startNanos()) / 1_000_000L);
        record(c, status, true, timedOut);
        path.events().append(c.tap);
        path.events()
            .appendResponse(c.tap, status, c.responseNanos - x.startNanos(), null, wallNow());
        path.events().appendEnd(c.tap, status, 0, null, 0, message, wallNow());
      }
      if (!c.requestEnded) {
        keepAlive = false;
      }
      toClient(Http1Relay.text(status, message, true, keepAlive && !clientDone));
      if (c.requestEnded) {
        finish();
      } else {
        c.upstream = null; // the rest of the body is read and dropped, then the connection closes
        c.response = null;
        if (!hasBeenPulled(in) && !isClosed(in)) {
          pull(in);
        }
      }
    }

    /**
     * The call ends without a (whole) response: its endpoint and tap still hear of it. Only an
     * endpoint's own fault ({@code endpointFault}) counts as its failure: a client that goes away
     * (wrk closing its connections at the end of a run) must not eject a healthy endpoint.
     */
    private void abandon(Call c, String reason, boolean endpointFault) {
      if (c.dispatch != null) {
        c.dispatch.complete(System.nanoTime(), endpointFault);
        c.dispatch = null;
      }
      if (c.exchange != null && c.response != null) {
        metricsOf(c.exchange).response(c.response.status(), true, null);
        path.events().appendEnd(
                c.tap,
                c.response.status(),
                System.nanoTime() - c.responseNanos,
                null,
                c.responseBytes,
                reason,
                wallNow());
      }
      if (c.upstream != null) {
        closeUpstream(c.upstream);
        upstreams.remove(c.upstream.address, c.upstream);
      }
      if (call == c) {
        call = null;
      }
    }

    private void answerAndClose(ByteString answer) {
      keepAlive = false;
      call = null;
      toClient(answer);
      if (pendingToClient != null) {
        closeAfterPending = true;
      } else {
        completeStage();
      }
    }

    private void toClient(ByteString bytes) {
      if (isAvailable(out)) {
        push(out, bytes);
      } else {
        pendingToClient = bytes;
      }
    }
  }

  /** The request head as sent upstream: HTTP/1.1, persistent (the proxy's own connection). */
  private static Head upstreamHead(Head request) {
    return request.keepAlive()
        ? request
        : new Head(
            request.method(),
            request.target(),
            0,
            null,
            1,
            request.headers(),
            request.framing(),
            true);
  }

  private static String pathOf(String target) {
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  private static long wallNow() {
    return System.currentTimeMillis();
  }
}
