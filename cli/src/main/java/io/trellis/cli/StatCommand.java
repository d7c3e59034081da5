package io.trellis.cli;

import io.trellis.api.metrics.Resource;
import io.trellis.api.metrics.StatRequest;
import io.trellis.api.metrics.StatResponse;
import io.trellis.api.metrics.StatRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code trellis stat deploy|svc|au|ts [NAME]}: Linkerd's golden metrics per resource, from the
 * control plane's metrics API (Prometheus or its rolling windows).
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = {
      "Success rate, requests per second, latency percentiles and open TCP connections per",
      "deployment (deploy), service (svc), authority (au) or traffic split (ts), over the last",
      "-t window. The numbers come from Prometheus when mesh.conf sets",
      "trellis.metrics.prometheus-url, else from the control plane's own scrapes of the proxies."
    })
final class StatCommand extends MetricsCommand {
  @Parameters(index = "0", paramLabel = "TYPE[/NAME]",
      description = "deploy, svc, au or ts, optionally /NAME.")
  String resource;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "One resource.")
  String name;

  @Option(names = "--from", paramLabel = "deploy/NAME",
      description = "Only traffic from this deployment.")
  String from;

  @Option(names = "--to", paramLabel = "TYPE/NAME",
      description = "Only traffic to this deployment or service (deploy/NAME, svc/NAME).")
  String to;


  @Override
  public Integer call() {
    if (output.equals("wide")) {
      return usage("-o wide: stat has no wide columns yet (byte rates need the TCP byte counters);"
          + " use table or json");
    }
    StatRequest.Builder request = StatRequest.newBuilder().setNamespace(namespace).setWindow(window);
    try {
      request.setResource(resource(resource, name));
      if (from != null) {
        request.setFrom(named("--from", from));
      }
      if (to != null) {
        request.setTo(named("--to", to));
      }
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    }
    boolean split = request.getResource().getType().equals("ts");
    return run(c -> c.statSummary(request.build()), r -> print(r, split));
  }

  private void print(StatResponse r, boolean split) {
    if (output.equals("json")) {
      List<Object> rows = new ArrayList<>();
      for (StatRow row : r.getRowsList()) {
        Map<String, Object> f = fields();
        f.put("name", row.getName());
        f.put("namespace", row.getNamespace());
        if (split) {
          f.put("apex", row.getApex());
          f.put("leaf", row.getLeaf());
          f.put("weight", row.getWeight());
        } else {
          f.put("meshed", row.getMeshed() + "/" + row.getPods());
        }
        json(row.getStats(), f);
        if (!split) {
          f.put("tcp_open_connections", row.getHasTcp() ? row.getTcpConnections() : null);
        }
        rows.add(f);
      }
      out().println(Table.json(rows));
      return;
    }
    if (r.getRowsCount() == 0) {
      out().println("No resources found.");
      return;
    }
    Table t = split
        ? new Table("NAME", "APEX", "LEAF", "WEIGHT", "SUCCESS", "RPS", "LATENCY_P50",
            "LATENCY_P95", "LATENCY_P99")
        : new Table("NAME", "MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95",
            "LATENCY_P99", "TCP_CONN");
    for (StatRow row : r.getRowsList()) {
      var s = row.getStats();
      if (split) {
        t.row(row.getName(), row.getApex(), row.getLeaf(), row.getWeight(), success(s), rps(s),
            p50(s), p95(s), p99(s));
      } else {
        t.row(row.getName(), row.getPods() == 0 && row.getMeshed() == 0 ? "-"
                : row.getMeshed() + "/" + row.getPods(),
            success(s), rps(s), p50(s), p95(s), p99(s),
            row.getHasTcp() ? Long.toString(row.getTcpConnections()) : "-");
      }
    }
    t.print(out());
  }
}
