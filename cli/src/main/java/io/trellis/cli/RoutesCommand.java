package io.trellis.cli;

import io.trellis.api.metrics.RouteRow;
import io.trellis.api.metrics.RoutesRequest;
import io.trellis.api.metrics.RoutesResponse;
import io.trellis.api.metrics.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code trellis routes svc/X|deploy/X [--to svc/Y]}: per-route golden metrics. */
@Command(
    name = "routes",
    mixinStandardHelpOptions = true,
    description = {
      "Success rate, requests per second and latency per ServiceProfile route; requests no",
      "route matches count under [DEFAULT]. svc/NAME: as the service's servers saw them;",
      "deploy/NAME --to svc/NAME: as the deployment's calls to the service went, and with",
      "-o wide the effective (as the caller saw) and actual (every attempt, retries included)",
      "numbers."
    })
final class RoutesCommand extends MetricsCommand {
  @Parameters(index = "0", paramLabel = "TYPE/NAME", description = "svc/NAME or deploy/NAME")
  String resource;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "(with TYPE alone)")
  String name;

  @Option(names = "--to", paramLabel = "svc/NAME", description = "Only calls to this service.")
  String to;


  @Override
  public Integer call() {
    RoutesRequest.Builder request =
        RoutesRequest.newBuilder().setNamespace(namespace).setWindow(window);
    try {
      request.setResource(resource(resource, name));
      if (to != null) {
        request.setTo(named("--to", to));
      }
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    }
    return run(c -> c.routes(request.build()), this::print);
  }

  private void print(RoutesResponse r) {
    boolean wide = output.equals("wide") && to != null;
    if (output.equals("json")) {
      List<Object> rows = new ArrayList<>();
      for (RouteRow row : r.getRowsList()) {
        Map<String, Object> f = fields();
        f.put("route", row.getRoute());
        f.put("authority", row.getService());
        json(row.getStats(), f);
        if (to != null) {
          Stats a = row.getActual();
          f.put("actual_success", a.getHasTraffic() ? a.getSuccessRate() : null);
          f.put("actual_rps", a.getHasTraffic() ? a.getRps() : null);
        }
        rows.add(f);
      }
      out().println(Table.json(rows));
      return;
    }
    Table t = wide
        ? new Table("ROUTE", "SERVICE", "EFFECTIVE_SUCCESS", "EFFECTIVE_RPS", "ACTUAL_SUCCESS",
            "ACTUAL_RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99")
        : new Table("ROUTE", "SERVICE", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95",
            "LATENCY_P99");
    for (RouteRow row : r.getRowsList()) {
      Stats s = row.getStats();
      if (wide) {
        Stats a = row.getActual();
        t.row(row.getRoute(), row.getService(), success(s), rps(s), success(a), rps(a), p50(s),
            p95(s), p99(s));
      } else {
        t.row(row.getRoute(), row.getService(), success(s), rps(s), p50(s), p95(s), p99(s));
      }
    }
    t.print(out());
  }
}
