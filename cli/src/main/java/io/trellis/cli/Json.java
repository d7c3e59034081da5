package io.trellis.cli;

import java.util.List;
import java.util.Map;

/** JSON text of plain values (maps, lists, strings, numbers, booleans, null) for {@code -o json}. */
final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, "");
    return b.toString();
  }

  private static void write(StringBuilder b, Object v, String indent) {
    String in = indent + "  ";
    if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
      b.append("{\n");
      int i = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        b.append(in).append(str(String.valueOf(e.getKey()))).append(": ");
        write(b, e.getValue(), in);
        b.append(++i < m.size() ? ",\n" : "\n");
      }
      b.append(indent).append('}');
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        b.append("[]");
        return;
      }
      b.append("[\n");
      for (int i = 0; i < l.size(); i++) {
        b.append(in);
        write(b, l.get(i), in);
        b.append(i + 1 < l.size() ? ",\n" : "\n");
      }
      b.append(indent).append(']');
    } else if (v == null) {
      b.append("null");
    } else if (v instanceof Number || v instanceof Boolean) {
      b.append(v);
    } else {
      b.append(str(String.valueOf(v)));
    }
  }

  static String str(String s) {
    return io.trellis.demo.Json.str(s);
  }
}
