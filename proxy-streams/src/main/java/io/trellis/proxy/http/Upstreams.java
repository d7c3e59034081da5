package io.trellis.proxy.http;

import com.typesafe.config.Config;
import io.trellis.config.HostPort;
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

  public Upstreams(ActorSystem<?> system, ProxySettings.Client client, Duration connectTimeout) {
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

  private Upstream newHttp1(HostPort address) {
    return new Http1Upstream(
        address, scalaHttp, poolSettings, connectTimeout, queueSize, log, materializer);
  }

  private Upstream newHttp2(HostPort address) {
    OutgoingConnectionBuilder builder =
        http.connectionTo(address.host())
            .toPort(address.port())
            .withClientConnectionSettings(h2Settings)
            .logTo(log);
    return new Http2Upstream(address, builder, connectTimeout, queueSize, materializer);
  }

  @Override
  public void close() {
    h1.values().forEach(Upstream::close);
    h2.values().forEach(Upstream::close);
  }
}
