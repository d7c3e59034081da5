package io.trellis.actors.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The PromQL text of each {@link MetricsSource} query, as a Linkerd user would type it. */
public final class PromQl {
  private PromQl() {}

  /** {@code sum(rate(response_total{direction="inbound"}[1m])) by (deployment, classification)} */
  public static String sumRate(Selector s, List<String> by, Duration window) {
    return "sum(rate(" + selector(s) + "[" + duration(window) + "])) by (" + String.join(", ", by)
        + ")";
  }

  /**
   * {@code histogram_quantile(0.95, sum(rate(response_latency_ms_bucket{..}[1m])) by (le,
   * deployment))}
   */
  public static String quantile(double q, Selector s, List<String> by, Duration window) {
    List<String> le = new ArrayList<>();
    le.add("le");
    le.addAll(by);
    return "histogram_quantile(" + q + ", "
        + sumRate(s.on(s.metric() + "_bucket"), le, window) + ")";
  }

  /** {@code sum(tcp_open_connections{direction="inbound"}) by (deployment)} */
  public static String sum(Selector s, List<String> by) {
    return "sum(" + selector(s) + ") by (" + String.join(", ", by) + ")";
  }

  /** {@code sum(up{namespace="demo"}) by (deployment)}: proxies up, as Prometheus scraped them. */
  public static String proxiesUp(String namespace) {
    return sum(Selector.of("up").with("namespace", namespace), List.of("deployment"));
  }

  public static String selector(Selector s) {
    if (s.equal().isEmpty()) {
      return s.metric();
    }
    return s.metric() + s.equal().entrySet().stream()
        .map(e -> e.getKey() + "=\"" + escape(e.getValue()) + "\"")
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** A Prometheus duration: {@code 1m}, {@code 90s}, {@code 1h}. */
  public static String duration(Duration d) {
    long s = d.toSeconds();
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  static Map<String, String> only(Map<String, String> labels, List<String> keys) {
    Map<String, String> out = new java.util.TreeMap<>();
    for (String k : keys) {
      out.put(k, labels.getOrDefault(k, ""));
    }
    return out;
  }
}
