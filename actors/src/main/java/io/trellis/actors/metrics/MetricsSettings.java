package io.trellis.actors.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.time.Duration;

/**
 * {@code trellis.metrics}: where {@code trellis stat} gets its numbers. Read once from actors'
 * reference.conf under mesh.conf.
 *
 * @param prometheusUrl a Prometheus server's base URL; null: this node's rolling windows
 * @param queryTimeout how long one Prometheus query may take
 * @param scrapeInterval how often the rolling windows scrape every proxy's admin /metrics
 * @param scrapeTimeout how long one scrape may take before the proxy is marked unreachable
 * @param retention how far back the rolling windows reach: the longest {@code -t} window
 * @param maxSeriesPerProxy series kept from one scrape; the rest are dropped (bounded memory)
 */
public record MetricsSettings(
    String prometheusUrl,
    Duration queryTimeout,
    Duration scrapeInterval,
    Duration scrapeTimeout,
    Duration retention,
    int maxSeriesPerProxy) {

  static final String PATH = "trellis.metrics";

  /** The settings in the mesh's own file (mesh.conf), else the defaults. */
  public static MetricsSettings forMesh(io.trellis.config.MeshConfig mesh) {
    return fromConfig(mesh.source() == null
        ? ConfigFactory.empty() : ConfigFactory.parseFile(mesh.source().toFile()));
  }

  public static MetricsSettings fromConfig(Config config) {
    Config c = config.withFallback(ConfigFactory.defaultReference()).resolve().getConfig(PATH);
    String url = c.getString("prometheus-url").strip();
    if (!url.isEmpty()) {
      try {
        URI u = URI.create(url);
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
          throw new IllegalArgumentException("not an http(s) URL");
        }
      } catch (IllegalArgumentException e) {
        throw new ConfigException.BadValue(PATH + ".prometheus-url",
            "'" + url + "' is not an http(s) URL such as http://127.0.0.1:9090");
      }
    }
    MetricsSettings s = new MetricsSettings(
        url.isEmpty() ? null : url,
        c.getDuration("query-timeout"),
        c.getDuration("scrape-interval"),
        c.getDuration("scrape-timeout"),
        c.getDuration("retention"),
        c.getInt("max-series-per-proxy"));
    if (s.scrapeInterval.isZero() || s.scrapeInterval.isNegative()) {
      throw new ConfigException.BadValue(PATH + ".scrape-interval", "must be positive");
    }
    if (s.maxSeriesPerProxy < 1) {
      throw new ConfigException.BadValue(PATH + ".max-series-per-proxy", "must be at least 1");
    }
    return s;
  }

  /** Scrapes kept per proxy: enough to span the retention, plus the newest. */
  int scrapesKept() {
    return (int) Math.min(10_000, retention.toMillis() / scrapeInterval.toMillis() + 2);
  }
}
