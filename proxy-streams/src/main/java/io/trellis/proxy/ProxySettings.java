package io.trellis.proxy;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The proxy's settings, read once from {@code trellis.proxy} (see reference.conf for what each key
 * means). Stages receive the values they need; none of them reads configuration.
 */
public record ProxySettings(
    Timeouts outbound,
    Timeouts inbound,
    Server server,
    Client client,
    Routes routes,
    Duration metricsMinRefresh,
    Detect detect,
    Transport transport) {

  /**
   * How plain-HTTP/1.1 listeners move bytes.
   *
   * @param kind {@code pekko} (pekko TCP + pekko-http, the default) or {@code loop} (our selector
   *     loops, experimental)
   * @param loops selector loops (threads) when {@code kind = loop}
   * @param directUpstreams the fused path reads and writes its plaintext upstream sockets itself
   *     (see {@link io.trellis.proxy.fused.FusedPath#directUpstreams()})
   */
  public record Transport(Kind kind, int loops, boolean directUpstreams) {
    /** The transport kinds. */
    public enum Kind {
      PEKKO,
      LOOP
    }

    public Transport {
      if (loops < 1) {
        throw new IllegalArgumentException(
            "trellis.proxy.transport.loops must be >= 1, was " + loops);
      }
    }

    static Transport fromConfig(Config c) {
      String kind = c.getString("kind");
      boolean direct = c.getBoolean("direct-upstreams");
      return switch (kind) {
        case "pekko" -> new Transport(Kind.PEKKO, c.getInt("loops"), direct);
        case "loop" -> new Transport(Kind.LOOP, c.getInt("loops"), direct);
        default ->
            throw new IllegalArgumentException(
                "trellis.proxy.transport.kind must be pekko or loop, was " + kind);
      };
    }
  }

  /**
   * Protocol detection on the inbound listener.
   *
   * @param timeout how long a connection's first bytes are waited for; then what arrived decides
   * @param maxPrefix bytes read at most before deciding
   */
  public record Detect(Duration timeout, int maxPrefix) {}

  /** ServiceProfile route defaults: timeout of a route that sets none, largest replayed body. */
  public record Routes(Duration defaultTimeout, int maxRetryBody) {
    public Routes {
      if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
        throw new IllegalArgumentException(
            "trellis.proxy.routes.default-timeout must be positive, was " + defaultTimeout);
      }
      if (maxRetryBody < 0) {
        throw new IllegalArgumentException(
            "trellis.proxy.routes.max-retry-body must be >= 0, was " + maxRetryBody);
      }
    }
  }

  /** Timeouts that differ between the outbound and the inbound side. */
  public record Timeouts(Duration connectTimeout, Duration failFastTimeout) {}

  /** Limits of the proxy's own HTTP servers. */
  public record Server(
      Duration idleTimeout,
      int maxHeaderCount,
      long maxHeaderValueLength,
      long maxUriLength,
      long maxChunkSize,
      int maxConnections,
      Http2 http2) {}

  /** Connections from the proxy to endpoints. */
  public record Client(
      Duration idleTimeout,
      int h1MaxConnections,
      int queueSize,
      Duration responseSubscriptionTimeout,
      long maxChunkSize,
      Duration connectBackoffMax,
      Http2 http2) {}

  /** HTTP/2 stream limit, flow-control windows, and PINGs while streams are open. */
  public record Http2(
      int maxConcurrentStreams,
      long connectionWindow,
      long streamWindow,
      Duration keepaliveInterval) {}

  /**
   * Reads {@code trellis.proxy} from a resolved config that includes this module's reference.conf.
   */
  public static ProxySettings fromConfig(Config root) {
    Config c = root.getConfig("trellis.proxy");
    Config server = c.getConfig("server");
    Config client = c.getConfig("client");
    return new ProxySettings(
        timeouts(c.getConfig("outbound")),
        timeouts(c.getConfig("inbound")),
        new Server(
            server.getDuration("idle-timeout"),
            server.getInt("max-header-count"),
            server.getBytes("max-header-value-length"),
            server.getBytes("max-uri-length"),
            server.getBytes("max-chunk-size"),
            server.getInt("max-connections"),
            http2(server.getConfig("http2"))),
        new Client(
            client.getDuration("idle-timeout"),
            client.getInt("h1-max-connections"),
            client.getInt("queue-size"),
            client.getDuration("response-subscription-timeout"),
            client.getBytes("max-chunk-size"),
            client.getDuration("connect-backoff-max"),
            http2(client.getConfig("http2"))),
        new Routes(
            c.getDuration("routes.default-timeout"),
            (int) Math.min(Integer.MAX_VALUE, c.getBytes("routes.max-retry-body"))),
        c.getDuration("metrics.min-refresh"),
        new Detect(
            c.getDuration("detect.timeout"), (int) c.getBytes("detect.max-prefix").longValue()),
        Transport.fromConfig(c.getConfig("transport")));
  }

  private static Timeouts timeouts(Config c) {
    return new Timeouts(c.getDuration("connect-timeout"), c.getDuration("fail-fast-timeout"));
  }

  private static Http2 http2(Config c) {
    return new Http2(
        c.getInt("max-concurrent-streams"),
        c.getBytes("connection-window"),
        c.getBytes("stream-window"),
        c.getDuration("keepalive-interval"));
  }
}
