package io.trellis.cli;

import io.trellis.api.tap.TapRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis tap}: a resource's requests, live (and first from history with --since). */
@Command(
    name = "tap",
    mixinStandardHelpOptions = true,
    description = {
      "Streams the requests of a resource's proxies as they happen: req, rsp and end events",
      "(never bodies), through the control plane. --since first replays the proxies' recorded",
      "history (lines end with replay=true), then goes live. Lossy under load: a tap that falls",
      "behind gets a count of dropped events on stderr. Ctrl-C ends it."
    })
final class TapCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin TapOptions options;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Stop after N events (default: no limit).")
  long limit;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "wide (adds src_res and dst_res) or json (one object per event).")
  String output = "";

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TapRequest request;
    Duration stopAfter;
    try {
      if (!output.isEmpty() && !output.equals("wide") && !output.equals("json")) {
        throw new IllegalArgumentException("-o " + output + ": wide or json");
      }
      if (limit < 0) {
        throw new IllegalArgumentException("--limit " + limit + ": must be 0 or more");
      }
      request = options.request().toBuilder().setLimit(limit).build();
      stopAfter = options.duration();
      options.controlPlane();
    } catch (IllegalArgumentException e) {
      err.println("trellis tap: " + e.getMessage());
      err.flush();
      return TapStream.USAGE;
    }
    boolean wide = output.equals("wide");
    boolean json = output.equals("json");
    return TapStream.run(
        "tap",
        options.controlPlane(),
        request,
        stopAfter,
        e -> {
          out.println(json ? TapLines.json(e) : TapLines.text(e, wide));
          out.flush();
        },
        err);
  }
}
