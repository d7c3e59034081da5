package io.trellis.cli;

import io.trellis.api.resources.Kind;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** A command's stdout and stderr, and the table layout every listing uses. */
final class Output {
  private final CommandSpec spec;
  private final String command;

  Output(CommandSpec spec, String command) {
    this.spec = spec;
    this.command = command;
  }

  void println(String line) {
    spec.commandLine().getOut().println(line);
    spec.commandLine().getOut().flush();
  }

  /** Writes {@code trellis COMMAND: message} to stderr and returns {@code exitCode}. */
  int fail(String message, int exitCode) {
    spec.commandLine().getErr().println("trellis " + command + ": " + message);
    spec.commandLine().getErr().flush();
    return exitCode;
  }

  /** kubectl's resource.group name: {@code serviceprofile.linkerd.io}. */
  static String qualified(Kind kind) {
    return kind == Kind.SERVICE_PROFILE ? "serviceprofile.linkerd.io"
        : "trafficsplit.split.smi-spec.io";
  }

  /** Left-aligned columns three spaces apart, as kubectl and linkerd print them. */
  static List<String> table(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    List<String> out = new ArrayList<>();
    for (List<String> row : all) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        b.append(row.get(i));
        if (i + 1 < row.size()) {
          b.append(" ".repeat(width[i] - row.get(i).length() + 3));
        }
      }
      out.add(b.toString());
    }
    return out;
  }

  /** kubectl's AGE: 45s, 12m, 5h, 3d. */
  static String age(long sinceMillis, long nowMillis) {
    if (sinceMillis <= 0) {
      return "<unknown>";
    }
    long s = Math.max(0, (nowMillis - sinceMillis) / 1000);
    if (s < 120) {
      return s + "s";
    }
    if (s < 2 * 3600) {
      return s / 60 + "m";
    }
    if (s < 2 * 86400) {
      return s / 3600 + "h";
    }
    return s / 86400 + "d";
  }
}
