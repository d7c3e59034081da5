package io.trellis.cli;

import io.trellis.api.tap.TapRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis top}: a resource's busiest paths, from tap. */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = {
      "Aggregates a resource's tap events into a table by source, destination, method and path:",
      "Count, Best/Worst/Last latency, SuccessRate. On a terminal it refreshes every second until",
      "Ctrl-C (or --duration); otherwise (a pipe, a test) it prints one table after --duration",
      "(default 10s)."
    })
final class TopCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin TapOptions options;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "json: one JSON array of rows at the end instead of the table.")
  String output = "";

  /** Whether stdout is a terminal; tests set it false. */
  boolean terminal = System.console() != null;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TapRequest request;
    Duration stopAfter;
    try {
      if (!output.isEmpty() && !output.equals("json")) {
        throw new IllegalArgumentException("-o " + output + ": only json");
      }
      request = options.request();
      stopAfter = options.duration();
      options.controlPlane();
    } catch (IllegalArgumentException e) {
      err.println("trellis top: " + e.getMessage());
      err.flush();
      return TapStream.USAGE;
    }
    boolean json = output.equals("json");
    boolean live = terminal && !json;
    if (stopAfter == null && !live) {
      stopAfter = Duration.ofSeconds(10);
    }
    TopTable table = new TopTable();
    ScheduledExecutorService refresh = null;
    if (live) {
      refresh = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trellis-top-refresh");
        t.setDaemon(true);
        return t;
      });
      refresh.scheduleAtFixedRate(() -> {
        out.print("\033[H\033[2J" + table.table());
        out.flush();
      }, 0, 1, TimeUnit.SECONDS);
    }
    int code = TapStream.run("top", options.controlPlane(), request, stopAfter, table::add, err);
    if (refresh != null) {
      refresh.shutdownNow();
    }
    if (code == TapStream.OK) {
      out.print(json ? table.json() + "\n" : (live ? "\033[H\033[2J" : "") + table.table());
      out.flush();
    }
    return code;
  }
}
