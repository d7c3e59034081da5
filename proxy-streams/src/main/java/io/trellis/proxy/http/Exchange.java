package io.trellis.proxy.http;

import io.trellis.config.Endpoint;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.profile.ProfileRoute;
import java.util.Locale;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * What the stages learn about one request as it goes down the path: routing fills in the service
 * (or the endpoint, for egress and inbound), a split its backend, balancing the endpoint;
 * metrics and error rescue read them back. One per request, confined to the request's own asynchronous chain (each stage writes
 * before it calls the next one), so it needs no synchronization; only {@link #expired()}, set by
 * the route timeout's timer, is volatile.
 */
public final class Exchange {
  /**
   * The verified identity of the peer proxy whose mTLS connection carried the request: set by the
   * inbound listener on every request of a connection whose TLS session it terminated, from the
   * session (never from anything a client sends); absent on plaintext connections.
   */
  public static final AttributeKey<String> PEER_IDENTITY =
      AttributeKey.create("trellis-peer-identity", String.class);

  private final Direction direction;
  private final long startNanos;
  private final String authority;
  private final boolean grpc;
  private final String peerIdentity;
  private ServiceRef service;
  private ServiceRef backend;
  private Endpoint endpoint;
  private ProfileRoute route;
  // Written by the route timeout's timer thread, read by the retry loop.
  private volatile boolean expired;

  public Exchange(Direction direction, long startNanos, String authority, boolean grpc) {
    this(direction, startNanos, authority, grpc, null);
  }

  /** @param peerIdentity the mTLS peer's verified identity; null on a plaintext connection */
  public Exchange(
      Direction direction, long startNanos, String authority, boolean grpc, String peerIdentity) {
    this.direction = direction;
    this.startNanos = startNanos;
    this.authority = authority;
    this.grpc = grpc;
    this.peerIdentity = peerIdentity;
  }

  /** Reads what every stage needs from the request once, as the server hands it over. */
  public static Exchange of(Direction direction, HttpRequest request) {
    String authority = request.getUri().asScala().authority().toString().toLowerCase(Locale.ROOT);
    var mediaType = request.entity().getContentType().mediaType();
    boolean grpc =
        mediaType.mainType().equals("application") && mediaType.subType().startsWith("grpc");
    return new Exchange(
        direction,
        System.nanoTime(),
        authority,
        grpc,
        request.getAttribute(PEER_IDENTITY).orElse(null));
  }

  public Direction direction() {
    return direction;
  }

  /** When the server handed the request over ({@link System#nanoTime()}). */
  public long startNanos() {
    return startNanos;
  }

  /** The request's authority as the client sent it (Host or :authority), lower case. */
  public String authority() {
    return authority;
  }

  /** True when the request is gRPC (content-type application/grpc[+proto|...]). */
  public boolean grpc() {
    return grpc;
  }

  /**
   * Inbound: the client proxy's identity, verified by the mTLS handshake of the connection the
   * request came on; null when the connection was plaintext.
   */
  public String peerIdentity() {
    return peerIdentity;
  }

  /** The mesh service the request is for; null for egress and inbound. */
  public ServiceRef service() {
    return service;
  }

  public void service(ServiceRef service) {
    this.service = service;
  }

  /**
   * The concrete service the request is balanced over: the backend a header rule or traffic split
   * chose for the logical {@link #service()}, else the service itself; null for egress and inbound.
   */
  public ServiceRef backend() {
    return backend != null ? backend : service;
  }

  public void backend(ServiceRef backend) {
    this.backend = backend;
  }

  /** Where the request goes; null until routing or balancing chose. */
  public Endpoint endpoint() {
    return endpoint;
  }

  public void endpoint(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  /** The ServiceProfile route the request is on; null when it is not for a mesh service. */
  public ProfileRoute route() {
    return route;
  }

  public void route(ProfileRoute route) {
    this.route = route;
  }

  /** True once the route timeout answered: no stage may start another attempt. */
  public boolean expired() {
    return expired;
  }

  public void expire() {
    this.expired = true;
  }
}
