package io.trellis.actors.metrics;

import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import java.time.Duration;
import java.util.Comparator;

/**
 * The Prometheus scrape configuration of a mesh: one static target per workload proxy (its admin
 * address), labelled with the workload's namespace and deployment so that {@code up} counts the
 * proxies per deployment. {@code honor_labels: true} keeps the labels the proxies put on their own
 * series (namespace, deployment, pod) instead of renaming them {@code exported_*}.
 */
public final class PrometheusConfig {
  public static final String JOB = "trellis-proxies";

  private PrometheusConfig() {}

  /** A whole prometheus.yml: the global intervals and the proxies' scrape job. */
  public static String render(MeshConfig mesh, Duration scrapeInterval) {
    String interval = PromQl.duration(scrapeInterval);
    StringBuilder b = new StringBuilder()
        .append("# Prometheus scrape configuration for the Trellis mesh in namespace ")
        .append(mesh.namespace()).append(" (from `trellis prometheus-config`).\n")
        .append("global:\n")
        .append("  scrape_interval: ").append(interval).append('\n')
        .append("  evaluation_interval: ").append(interval).append('\n')
        .append("scrape_configs:\n")
        .append("  - job_name: ").append(JOB).append('\n')
        .append("    honor_labels: true\n")
        .append("    metrics_path: /metrics\n")
        .append(mesh.workloads().isEmpty() ? "    static_configs: []\n" : "    static_configs:\n");
    mesh.workloads().values().stream()
        .sorted(Comparator.comparing(WorkloadConfig::name))
        .forEach(w -> b.append("      - targets: ['").append(w.proxy().admin()).append("']\n")
            .append("        labels: {namespace: '").append(mesh.namespace())
            .append("', deployment: '").append(w.name()).append("'}\n"));
    return b.toString();
  }
}
