package io.trellis.proxy.http;

import com.typesafe.config.Config;
import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import io.trellis.identity.IdentityName;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.tls.OutboundTls;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import io.trellis.proxy.ProxySettings;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.OutgoingConnectionBuilder;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;

/**
 * One side's connections to endpoints: an HTTP/1.1 pool and an HTTP/2 connection per endpoint
 * address, created on first use and kept, so that requests to an endpoint share its connections.
 * Thread-safe; lookups on the request path are a map read.
 */
public final class Upstreams implements AutoCloseable {
  private final ActorSystem<?> system;
  private final Http http;
  private final org.apache.pekko.http.scaladsl.HttpExt scalaHttp;
  private final Materializer materializer;
  private final LoggingAdapter log;
  private final Duration connectTimeout;
  private final int queueSize;
  private final ConnectionPoolSettings poolSettings;
  private final ClientConnectionSettings h2Settings;
  private final ConcurrentHashMap<HostPort, Upstream> h1 = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<HostPort, Upstream> h2 = new ConcurrentHashMap<>();
  /** Connections to meshed endpoints, over mTLS: keyed by address and expected identity. */
  private final ConcurrentHashMap<Secured, Upstream> tlsH1 = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Secured, Upstream> tlsH2 = new ConcurrentHashMap<>();
  private final OutboundTls tls;
  private final Function<Endpoint, Optional<IdentityName>> identities;
  private final TcpMetrics tcpMetrics;

  private record Secured(HostPort address, IdentityName identity) {}

  public Upstreams(ActorSystem<?> system, ProxySettings.Client client, Duration connectTimeout) {
    this(system, client, connectTimeout, null, e -> Optional.empty(), null);
  }

  /**
   * @param tls TLS origination, or null when the proxy has no identity (everything plaintext)
   * @param identities the identity discovery announced for an endpoint, if any
   * @param tcpMetrics meters the mTLS connections (outbound, dst, server_id); null: not metered
   */
  public Upstreams(
      ActorSystem<?> system,
      ProxySettings.Client client,
      Duration connectTimeout,
      OutboundTls tls,
      Function<Endpoint, Optional<IdentityName>> identities,
      TcpMetrics tcpMetrics) {
    this.tls = tls;
    this.identities = identities;
    this.tcpMetrics = tcpMetrics;
    Config base = system.settings().config();
    this.system = system;
    this.http = Http.get(system);
    this.scalaHttp = org.apache.pekko.http.scaladsl.Http.apply(system.classicSystem());
    this.materializer = Materializer.matFromSystem(system);
    this.log = system.classicSystem().log();
    this.connectTimeout = connectTimeout;
    this.queueSize = client.queueSize();
    this.poolSettings = PekkoHttpSettings.pool(client, connectTimeout, base);
    this.h2Settings = PekkoHttpSettings.client(client, connectTimeout, base);
  }

  Upstream http1(HostPort address) {
    Upstream u = h1.get(address);
    return u != null ? u : h1.computeIfAbsent(address, this::newHttp1);
  }

  Upstream http2(HostPort address) {
    Upstream u = h2.get(address);
    return u != null ? u : h2.computeIfAbsent(address, this::newHttp2);
  }

  /** The identity an endpoint's connections must prove, when TLS is on and it has one. */
  Optional<IdentityName> identityOf(Endpoint endpoint) {
    return tls == null || endpoint == null ? Optional.empty() : identities.apply(endpoint);
  }

  /** HTTP/1.1 to an endpoint: over mTLS when it has an identity, else plaintext. */
  Upstream http1(Endpoint endpoint) {
    Optional<IdentityName> id = identityOf(endpoint);
    if (id.isEmpty()) {
      return http1(endpoint.address());
    }
    return tlsH1.computeIfAbsent(
        new Secured(endpoint.address(), id.get()),
        s -> new Http1Upstream(s.address(), scalaHttp,
            poolSettings.withConnectionSettings(metered(poolSettings.getConnectionSettings(), s)),
            connectTimeout, queueSize, log, materializer, tls.http(s.identity(), false)));
  }

  /** HTTP/2 to an endpoint: over mTLS (ALPN h2) when it has an identity, else h2c. */
  Upstream http2(Endpoint endpoint) {
    Optional<IdentityName> id = identityOf(endpoint);
    if (id.isEmpty()) {
      return http2(endpoint.address());
    }
    return tlsH2.computeIfAbsent(
        new Secured(endpoint.address(), id.get()),
        s -> newHttp2(s.address(), metered(h2Settings, s), tls.http(s.identity(), true)));
  }

  /** A secured upstream's connection settings: its TCP connections metered with its identity. */
  private ClientConnectionSettings metered(ClientConnectionSettings settings, Secured s) {
    if (tcpMetrics == null) {
      return settings;
    }
    return settings.withTransport(
        tcpMetrics.meter(
            new TcpMetrics.Labels(
                Direction.OUTBOUND, TcpMetrics.Peer.DST, TlsLabels.secured(s.identity().value())),
            settings.getTransport()));
  }

  private Upstream newHttp1(HostPort address) {
    return new Http1Upstream(
        address, scalaHttp, poolSettings, connectTimeout, queueSize, log, materializer, null);
  }

  private Upstream newHttp2(HostPort address) {
    return newHttp2(address, h2Settings, null);
  }

  private Upstream newHttp2(
      HostPort address, ClientConnectionSettings settings, HttpsConnectionContext https) {
    OutgoingConnectionBuilder builder =
        http.connectionTo(address.host())
            .toPort(address.port())
            .withClientConnectionSettings(settings)
            .logTo(log);
    if (https != null) {
      builder = builder.withCustomHttpsConnectionContext(https);
    }
    return new Http2Upstream(address, builder, connectTimeout, queueSize, materializer, https != null);
  }

  /** Endpoints (per protocol and identity) this client has opened a pool to. */
  public int pools() {
    return h1.size() + h2.size() + tlsH1.size() + tlsH2.size();
  }

  @Override
  public void close() {
    h1.values().forEach(Upstream::close);
    h2.values().forEach(Upstream::close);
    tlsH1.values().forEach(Upstream::close);
    tlsH2.values().forEach(Upstream::close);
  }
}
