package io.trellis.proxy.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.trellis.proxy.ProxySettings;
import io.trellis.proxy.errors.MalformedRequests;
import java.time.Duration;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Translates {@link ProxySettings} into pekko-http's server and client settings, as a config
 * overlay on the actor system's config so that everything not listed keeps pekko's default.
 *
 * <p>What a proxy needs differently from pekko's defaults, and why:
 *
 * <ul>
 *   <li>no entity size limit ({@code max-content-length = infinite}) and no request timeout ({@code
 *       request-timeout = off}: {@code infinite} still attaches a Timeout-Access header to every
 *       request and runs the timeout stage): bodies of any size and streams of any length pass
 *       through, with backpressure;
 *   <li>HTTP/2 on ({@code enable-http2} and {@code preview.enable-http2}: the latter is resolved
 *       from the former when pekko's reference.conf loads, so an overlay must set both); on a
 *       plaintext binding pekko then serves HTTP/1.1 and h2c prior knowledge on the same port;
 *   <li>no Server / User-Agent headers of its own: responses and requests pass through as sent;
 *   <li>host pools that never retry (a proxy cannot know a request is safe to send twice, and
 *       retries would multiply connect timeouts) and whose response-entity subscription timeout is
 *       generous: it only measures the start of reading a body, never its speed.
 * </ul>
 */
public final class PekkoHttpSettings {
  private PekkoHttpSettings() {}

  public static ServerSettings server(ProxySettings settings, Config base) {
    ProxySettings.Server s = settings.server();
    String overlay =
        """
        pekko.http.server {
          enable-http2 = on
          preview.enable-http2 = on
          idle-timeout = %dms
          request-timeout = off
          server-header = ""
          # the client's ip:port as a request attribute, for tap's src
          remote-address-attribute = on
          max-connections = %d
          parsing {
            max-content-length = infinite
            max-header-count = %d
            max-header-value-length = %d
            max-uri-length = %d
            max-chunk-size = %d
            illegal-header-warnings = off
            error-logging-verbosity = simple
            error-handler = "%s"
          }
          http2 {
            %s
            min-collect-strict-entity-size = 0
          }
        }
        """
            .formatted(
                s.idleTimeout().toMillis(),
                s.maxConnections(),
                s.maxHeaderCount(),
                s.maxHeaderValueLength(),
                s.maxUriLength(),
                s.maxChunkSize(),
                MalformedRequests.class.getName(),
                http2(s.http2()));
    return ServerSettings.create(ConfigFactory.parseString(overlay).withFallback(base));
  }

  /** Settings of one side's HTTP/1.1 host pools (one pool per endpoint). */
  public static ConnectionPoolSettings pool(
      ProxySettings.Client client, Duration connectTimeout, Config base) {
    String overlay =
        clientOverlay(client, connectTimeout)
            + """
              pekko.http.host-connection-pool {
                max-connections = %d
                max-open-requests = %d
                max-retries = 0
                idle-timeout = %dms
                keep-alive-timeout = infinite
                response-entity-subscription-timeout = %dms
              }
              """
                .formatted(
                    client.h1MaxConnections(),
                    powerOfTwoAtLeast(client.queueSize()),
                    client.connectBackoffMax().toMillis(),
                    client.idleTimeout().toMillis(),
                    client.responseSubscriptionTimeout().toMillis());
    return ConnectionPoolSettings.create(ConfigFactory.parseString(overlay).withFallback(base));
  }

  /** Settings of one side's HTTP/2 client connections (one connection per endpoint). */
  public static ClientConnectionSettings client(
      ProxySettings.Client client, Duration connectTimeout, Config base) {
    return ClientConnectionSettings.create(
        ConfigFactory.parseString(clientOverlay(client, connectTimeout)).withFallback(base));
  }

  private static String clientOverlay(ProxySettings.Client client, Duration connectTimeout) {
    return """
           pekko.http.client {
             connecting-timeout = %dms
             idle-timeout = %dms
             user-agent-header = ""
             parsing {
               max-content-length = infinite
               max-chunk-size = %d
               illegal-header-warnings = off
               error-logging-verbosity = simple
             }
             http2 {
               %s
             }
           }
           """
        .formatted(
            connectTimeout.toMillis(),
            client.idleTimeout().toMillis(),
            client.maxChunkSize(),
            http2(client.http2()));
  }

  private static String http2(ProxySettings.Http2 h2) {
    long ping = h2.keepaliveInterval().toMillis();
    return "max-concurrent-streams = %d, incoming-connection-level-buffer-size = %d, "
            .formatted(h2.maxConcurrentStreams(), h2.connectionWindow())
        + "incoming-stream-level-buffer-size = %d, ping-interval = %dms, ping-timeout = %dms"
            .formatted(h2.streamWindow(), ping, ping);
  }

  private static int powerOfTwoAtLeast(int n) {
    int p = 1;
    while (p < n) {
      p <<= 1;
    }
    return p;
  }
}
