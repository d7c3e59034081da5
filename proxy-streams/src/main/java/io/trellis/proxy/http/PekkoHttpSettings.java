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
 *   <li>no entity size limit ({@code max-content-length = infinite}) and no request timeout
 *       ({@code request-timeout = off}: {@code infinite} still attaches a Timeout-Access header to
 *       every request and runs the timeout stage):
 *       bodies of any size and streams of any length pass through, with backpressure;
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
        "pekko.http.server {\n"
            + "  enable-http2 = on\n"
            + "  preview.enable-http2 = on\n"
            + "  idle-timeout = " + millis(s.idleTimeout()) + "\n"
            + "  request-timeout = off\n"
            + "  server-header = \"\"\n"
            + "  max-connections = " + s.maxConnections() + "\n"
            + "  parsing {\n"
            + "    max-content-length = infinite\n"
            + "    max-header-count = " + s.maxHeaderCount() + "\n"
            + "    max-header-value-length = " + s.maxHeaderValueLength() + "\n"
            + "    max-uri-length = " + s.maxUriLength() + "\n"
            + "    max-chunk-size = " + s.maxChunkSize() + "\n"
            + "    illegal-header-warnings = off\n"
            + "    error-logging-verbosity = simple\n"
            + "    error-handler = \"" + MalformedRequests.class.getName() + "\"\n"
            + "  }\n"
            + "  http2 {\n"
            + http2(s.http2())
            + "    min-collect-strict-entity-size = 0\n"
            + "  }\n"
            + "}\n";
    return ServerSettings.create(ConfigFactory.parseString(overlay).withFallback(base));
  }

  /** Settings of one side's HTTP/1.1 host pools (one pool per endpoint). */
  public static ConnectionPoolSettings pool(
      ProxySettings.Client client, Duration connectTimeout, Config base) {
    String overlay =
        clientOverlay(client, connectTimeout)
            + "pekko.http.host-connection-pool {\n"
            + "  max-connections = " + client.h1MaxConnections() + "\n"
            + "  max-open-requests = " + powerOfTwoAtLeast(client.queueSize()) + "\n"
            + "  max-retries = 0\n"
            + "  idle-timeout = " + millis(client.idleTimeout()) + "\n"
            + "  keep-alive-timeout = infinite\n"
            + "  response-entity-subscription-timeout = "
            + millis(client.responseSubscriptionTimeout()) + "\n"
            + "}\n";
    return ConnectionPoolSettings.create(ConfigFactory.parseString(overlay).withFallback(base));
  }

  /** Settings of one side's HTTP/2 client connections (one connection per endpoint). */
  public static ClientConnectionSettings client(
      ProxySettings.Client client, Duration connectTimeout, Config base) {
    return ClientConnectionSettings.create(
        ConfigFactory.parseString(clientOverlay(client, connectTimeout)).withFallback(base));
  }

  private static String clientOverlay(ProxySettings.Client client, Duration connectTimeout) {
    return "pekko.http.client {\n"
        + "  connecting-timeout = " + millis(connectTimeout) + "\n"
        + "  idle-timeout = " + millis(client.idleTimeout()) + "\n"
        + "  user-agent-header = \"\"\n"
        + "  parsing {\n"
        + "    max-content-length = infinite\n"
        + "    max-chunk-size = " + client.maxChunkSize() + "\n"
        + "    illegal-header-warnings = off\n"
        + "    error-logging-verbosity = simple\n"
        + "  }\n"
        + "  http2 {\n"
        + http2(client.http2())
        + "  }\n"
        + "}\n";
  }

  private static String http2(ProxySettings.Http2 h2) {
    return "    max-concurrent-streams = " + h2.maxConcurrentStreams() + "\n"
        + "    incoming-connection-level-buffer-size = " + h2.connectionWindow() + "\n"
        + "    incoming-stream-level-buffer-size = " + h2.streamWindow() + "\n";
  }

  private static String millis(Duration d) {
    return d.toMillis() + "ms";
  }

  private static int powerOfTwoAtLeast(int n) {
    int p = 1;
    while (p < n) {
      p <<= 1;
    }
    return p;
  }
}
