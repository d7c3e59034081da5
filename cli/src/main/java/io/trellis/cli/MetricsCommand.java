package io.trellis.cli;

import io.trellis.api.metrics.MetricsClient;
import io.trellis.api.metrics.Resource;
import io.trellis.api.metrics.Stats;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What {@code stat}, {@code edges} and {@code routes} share: {@code -n}, {@code -o}, {@code
 * --control-plane}, resources as {@code TYPE/NAME}, one call to the metrics API, and the numbers
 * as Linkerd prints them ("-" without traffic).
 */
abstract class MetricsCommand implements Callable<Integer> {
  static final int USAGE = 2;

  @Spec CommandSpec spec;

  @Mixin ControlPlaneApi api;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
      description = "The namespace (default: the mesh's).")
  String namespace = "";

  @Option(names = {"-t", "--time-window"}, paramLabel = "WINDOW",
      description = "The window rates are over: 10s, 1m (default), 10m.")
  String window = "1m";

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
      description = "table (default), wide or json.")
  String output = "table";

  /** Runs the request; prints its answer with {@code print} or the error; the exit code. */
  <T> int run(Function<MetricsClient, CompletionStage<T>> request, java.util.function.Consumer<T> print) {
    if (!output.equals("table") && !output.equals("wide") && !output.equals("json")) {
      return usage("-o " + output + ": use table, wide or json");
    }
    ControlPlaneApi.Result<T> r = api.call(request);
    if (r.error() != null) {
      err(spec.qualifiedName() + ": " + r.error());
      return r.exitCode();
    }
    print.accept(r.answer());
    out().flush();
    return 0;
  }

  int usage(String message) {
    err(spec.qualifiedName() + ": " + message);
    return USAGE;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  void err(String message) {
    spec.commandLine().getErr().println(message);
    spec.commandLine().getErr().flush();
  }

  /** {@code deploy/web} or, with {@code name} apart, {@code deploy} and {@code web}. */
  static Resource resource(String typeAndName, String name) {
    int slash = typeAndName.indexOf('/');
    if (slash >= 0) {
      if (name != null) {
        throw new IllegalArgumentException(
            "give the name once: " + typeAndName + " or " + typeAndName.substring(0, slash)
                + " " + name);
      }
      return Resource.newBuilder().setType(typeAndName.substring(0, slash))
          .setName(typeAndName.substring(slash + 1)).build();
    }
    return Resource.newBuilder().setType(typeAndName).setName(name == null ? "" : name).build();
  }

  /** {@code TYPE/NAME} for --from/--to: the name is required. */
  static Resource named(String option, String value) {
    int slash = value.indexOf('/');
    if (slash <= 0 || slash == value.length() - 1) {
      throw new IllegalArgumentException(option + " " + value + ": expected TYPE/NAME, e.g. deploy/web");
    }
    return resource(value, null);
  }

  static String success(Stats s) {
    return s.getHasTraffic() ? Table.percent(s.getSuccessRate()) : "-";
  }

  static String rps(Stats s) {
    return s.getHasTraffic() ? Table.rps(s.getRps()) : "-";
  }

  static String p50(Stats s) {
    return s.getHasTraffic() ? Table.millis(s.getLatencyP50Ms()) : "-";
  }

  static String p95(Stats s) {
    return s.getHasTraffic() ? Table.millis(s.getLatencyP95Ms()) : "-";
  }

  static String p99(Stats s) {
    return s.getHasTraffic() ? Table.millis(s.getLatencyP99Ms()) : "-";
  }

  /** Linkerd's JSON fields for the numbers; null without traffic. */
  static Map<String, Object> json(Stats s, Map<String, Object> into) {
    boolean t = s.getHasTraffic();
    into.put("success", t ? s.getSuccessRate() : null);
    into.put("rps", t ? s.getRps() : null);
    into.put("latency_ms_p50", t ? s.getLatencyP50Ms() : null);
    into.put("latency_ms_p95", t ? s.getLatencyP95Ms() : null);
    into.put("latency_ms_p99", t ? s.getLatencyP99Ms() : null);
    return into;
  }

  static Map<String, Object> fields() {
    return new LinkedHashMap<>();
  }
}
