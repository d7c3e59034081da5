package io.trellis.proxy.fused;

import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.proxy.balance.Destinations;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http1.HeadParser;
import io.trellis.proxy.metrics.HttpMetrics;
import io.trellis.proxy.metrics.RouteMetrics;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.profile.Profiles;
import io.trellis.proxy.split.Backends;
import io.trellis.proxy.tap.EventRing;
import io.trellis.proxy.transport.LoopTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Function;
import java.util.Optional;
import io.trellis.identity.IdentityName;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.proxy.tls.OutboundTls;
import java.util.function.Supplier;

/**
 * What one side (outbound or inbound) of the fused HTTP/1.1 path reads: the snapshots the
 * owning actors publish (mesh, destinations, compiled profiles and splits), the instruments it
 * records into, and where a request goes that this path does not serve itself (the {@code
 * delegate}: the same side's pekko-http listener on a loopback port, which serves every feature).
 *
 * @param app inbound: the workload's app, where every request goes; null outbound
 * @param identities outbound: the identity an endpoint's proxy must prove over mTLS (empty:
 *     plaintext)
 * @param outboundTls outbound mTLS connections; null when the proxy has no identity
 * @param tcpMetrics meters the outbound mTLS connections (dst, server_id)
 * @param delegate the pekko-http listener of the same side, on loopback
 * @param limits request and response head bounds
 * @param connectTimeout a new upstream connection not established by then fails its request (504)
 * @param idleTimeout a client connection with no request in flight for this long is closed
 * @param maxUpstreams upstream connections one client connection keeps open at most (one per
 *     endpoint it used, least recently used closed first)
 * @param failFast outbound: how long a request waits for its service's first snapshot at most
 *     (then it is delegated, and waits for an endpoint that long again)
 * @param directUpstreams a plaintext upstream connection is a socket the path reads and writes
 *     itself on its loop ({@code trellis.proxy.transport.direct-upstreams}); false: a sub-stream
 *     of the transport's socket stage and the response decoder, as mTLS connections always are
 */
public record FusedPath(
    Direction direction,
    Supplier<MeshConfig> mesh,
    Destinations destinations,
    Backends backends,
    Profiles profiles,
    HttpMetrics metrics,
    RouteMetrics routeMetrics,
    EventRing events,
    Function<Exchange, TlsLabels> tls,
    Endpoint app,
    Function<Endpoint, Optional<IdentityName>> identities,
    OutboundTls outboundTls,
    TcpMetrics tcpMetrics,
    InetSocketAddress delegate,
    LoopTransport transport,
    HeadParser.Limits limits,
    Duration connectTimeout,
    Duration idleTimeout,
    int maxUpstreams,
    Duration failFast,
    boolean directUpstreams) {

  public FusedPath {
    if (maxUpstreams < 1) {
      throw new IllegalArgumentException("maxUpstreams must be >= 1, was " + maxUpstreams);
    }
  }

  /** Endpoint addresses parsed once; bounded (cleared when full: endpoints come and go). */
  private static final int MAX_ADDRESSES = 4096;

  private static final java.util.concurrent.ConcurrentHashMap<HostPort, Object> ADDRESSES =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final Object NOT_LITERAL = new Object();

  /**
   * The socket address of {@code address} when its host is an IP literal, else null (a name
   * would need a DNS lookup, which never happens on a loop thread: such requests are delegated).
   */
  InetSocketAddress addressOf(HostPort address) {
    Object known = ADDRESSES.get(address);
    if (known == null) {
      if (ADDRESSES.size() >= MAX_ADDRESSES) {
        ADDRESSES.clear();
      }
      InetSocketAddress parsed = literal(address);
      known = parsed == null ? NOT_LITERAL : parsed;
      ADDRESSES.put(address, known);
    }
    return known instanceof InetSocketAddress a ? a : null;
  }

  /** The address of an endpoint when its host is an IP literal (no DNS on the loop), else null. */
  static InetSocketAddress literal(HostPort address) {
    String host = address.host();
    if (host.isEmpty()) {
      return null;
    }
    boolean ipv4 = true;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (!(c == '.' || (c >= '0' && c <= '9'))) {
        ipv4 = false;
        break;
      }
    }
    if (!ipv4 && host.indexOf(':') < 0) {
      return null;
    }
    try {
      // a literal: InetAddress parses it without a lookup
      return new InetSocketAddress(java.net.InetAddress.getByName(host), address.port());
    } catch (java.net.UnknownHostException e) {
      return null;
    }
  }
}
