package io.trellis.cli;

import io.trellis.api.tap.TapEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code trellis top}'s table, from tap events: one row per source, destination, method and path,
 * counted when a request ends, with its best, worst and last latency (to response headers) and its
 * success rate (failure: 5xx, a gRPC status other than OK, or a failed stream). Requests whose
 * {@code req} was not seen are not counted. Safe to feed from one thread and print from another.
 */
final class TopTable {
  static final List<String> HEADER =
      List.of("Source", "Destination", "Method", "Path", "Count", "Best", "Worst", "Last", "SuccessRate");
  /** Requests seen started and not yet ended, at most (the oldest are forgotten). */
  private static final int MAX_OPEN = 10_000;

  record Key(String source, String destination, String method, String path) {}

  static final class Row {
    final Key key;
    long count;
    long successes;
    long best = Long.MAX_VALUE;
    long worst;
    long last;

    Row(Key key) {
      this.key = key;
    }
  }

  private static final class Open {
    final Key key;
    long latencyUs = -1;

    Open(Key key) {
      this.key = key;
    }
  }

  private final Map<Key, Row> rows = new HashMap<>();
  private final Map<String, Open> open =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Open> eldest) {
          return size() > MAX_OPEN;
        }
      };

  synchronized void add(TapEvent e) {
    String id = e.getProxy() + "|" + e.getProxyDirection() + "|" + e.getId();
    switch (e.getKind()) {
      case REQ -> open.put(id, new Open(new Key(
          name(e.getSrcResource(), e.getSrc()), name(e.getDstResource(), e.getDst()),
          e.getMethod(), e.getPath())));
      case RSP -> {
        Open o = open.get(id);
        if (o != null) {
          o.latencyUs = e.getLatencyUs();
        }
      }
      case END -> {
        Open o = open.remove(id);
        if (o == null) {
          return;
        }
        Row row = rows.computeIfAbsent(o.key, Row::new);
        row.count++;
        if (succeeded(e)) {
          row.successes++;
        }
        if (o.latencyUs >= 0) {
          row.best = Math.min(row.best, o.latencyUs);
          row.worst = Math.max(row.worst, o.latencyUs);
          row.last = o.latencyUs;
        }
      }
      default -> {}
    }
  }

  private static boolean succeeded(TapEvent end) {
    return end.getError().isEmpty()
        && end.getStatus() < 500
        && (end.getGrpcStatus().isEmpty() || end.getGrpcStatus().equals("0"));
  }

  /** A workload's name (deploy/web is web), else the address's host. */
  private static String name(String resource, String address) {
    if (!resource.isEmpty()) {
      return resource.substring(resource.indexOf('/') + 1);
    }
    int colon = address.lastIndexOf(':');
    return colon < 0 ? address : address.substring(0, colon);
  }

  /** Rows by count (most first), then source, destination, path. */
  synchronized List<Row> rows() {
    List<Row> out = new ArrayList<>(rows.values());
    out.sort(Comparator.comparingLong((Row r) -> -r.count)
        .thenComparing(r -> r.key.source())
        .thenComparing(r -> r.key.destination())
        .thenComparing(r -> r.key.path())
        .thenComparing(r -> r.key.method()));
    return out;
  }

  String table() {
    List<List<String>> lines = new ArrayList<>();
    lines.add(HEADER);
    for (Row r : rows()) {
      lines.add(List.of(r.key.source(), r.key.destination(), r.key.method(), r.key.path(),
          Long.toString(r.count), latency(r.best == Long.MAX_VALUE ? -1 : r.best),
          latency(r.count == 0 ? -1 : r.worst), latency(r.count == 0 ? -1 : r.last),
          String.format("%.2f%%", 100.0 * r.successes / r.count)));
    }
    int[] widths = new int[HEADER.size()];
    for (List<String> l : lines) {
      for (int i = 0; i < l.size(); i++) {
        widths[i] = Math.max(widths[i], l.get(i).length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (List<String> l : lines) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < l.size(); i++) {
        line.append(l.get(i));
        if (i < l.size() - 1) {
          line.append(" ".repeat(widths[i] - l.get(i).length() + 2));
        }
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }

  String json() {
    StringBuilder b = new StringBuilder("[");
    for (Row r : rows()) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append("\n  {\"source\":").append(TapLines.quoted(r.key.source()))
          .append(",\"destination\":").append(TapLines.quoted(r.key.destination()))
          .append(",\"method\":").append(TapLines.quoted(r.key.method()))
          .append(",\"path\":").append(TapLines.quoted(r.key.path()))
          .append(",\"count\":").append(r.count)
          .append(",\"bestMicros\":").append(r.best == Long.MAX_VALUE ? 0 : r.best)
          .append(",\"worstMicros\":").append(r.worst)
          .append(",\"lastMicros\":").append(r.last)
          .append(",\"successRate\":").append(String.format("%.4f", (double) r.successes / r.count))
          .append('}');
    }
    return b.append(b.length() > 1 ? "\n]" : "]").toString();
  }

  /** 936µs, 12ms; "-" when unknown. */
  static String latency(long micros) {
    if (micros < 0) {
      return "-";
    }
    return micros < 1000 ? micros + "µs" : (micros / 1000) + "ms";
  }
}
