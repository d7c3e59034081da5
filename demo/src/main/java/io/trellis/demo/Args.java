package io.trellis.demo;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code --name value} arguments for the apps' mains. The apps are started by {@code trellis
 * demo} with arguments it builds, so a tiny parser that refuses anything odd is enough.
 */
final class Args {
  private final Map<String, String> values;

  private Args(Map<String, String> values) {
    this.values = values;
  }

  static Args parse(String... args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value, got: " + a);
      }
      values.put(a.substring(2), args[++i]);
    }
    return new Args(values);
  }

  String get(String name, String otherwise) {
    return values.getOrDefault(name, otherwise);
  }

  String require(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return v;
  }

  int getInt(String name, int otherwise) {
    String v = values.get(name);
    return v == null ? otherwise : Integer.parseInt(v);
  }

  double getDouble(String name, double otherwise) {
    String v = values.get(name);
    return v == null ? otherwise : Double.parseDouble(v);
  }
}
