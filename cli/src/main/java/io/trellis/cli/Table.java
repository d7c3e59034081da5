package io.trellis.cli;

import io.trellis.actors.metrics.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Linkerd's tables (three spaces between columns, the first column left-aligned and the rest
 * right-aligned, as its tabwriter does) and the number formats of {@code stat} and {@code routes},
 * plus a small JSON writer for {@code -o json}.
 */
final class Table {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... header) {
    this.header = List.of(header);
  }

  Table row(String... cells) {
    rows.add(List.of(cells));
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  void print(PrintWriter out) {
    int[] widths = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> r : all) {
      for (int i = 0; i < r.size(); i++) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    for (List<String> r : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        String cell = r.get(i);
        if (i == 0) {
          line.append(cell).append(" ".repeat(widths[i] - cell.length()));
        } else {
          line.append("   ").append(" ".repeat(widths[i] - cell.length())).append(cell);
        }
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  static String percent(double rate) {
    return String.format(Locale.ROOT, "%.2f%%", rate * 100);
  }

  static String rps(double rps) {
    return String.format(Locale.ROOT, "%.1frps", rps);
  }

  static String millis(double ms) {
    return Math.round(ms) + "ms";
  }

  /** JSON of maps, lists, strings, numbers (NaN and null as null) and booleans. */
  static String json(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      return Json.quote(s);
    }
    if (v instanceof Double d) {
      return d.isNaN() || d.isInfinite() ? "null" : Double.toString(d);
    }
    if (v instanceof Map<?, ?> m) {
      return m.entrySet().stream()
          .map(e -> json(String.valueOf(e.getKey())) + ": " + json(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
    }
    if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        return "[]";
      }
      return l.stream().map(Table::json).collect(Collectors.joining(",\n  ", "[\n  ", "\n]"));
    }
    return String.valueOf(v);
  }
}
