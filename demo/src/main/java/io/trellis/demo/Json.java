package io.trellis.demo;

/**
 * The little JSON the web API writes: objects of strings and numbers. Hand-written so the demo
 * pulls no JSON library onto the proxy's classpath.
 */
public final class Json {
  private Json() {}

  /** A JSON string literal. */
  public static String str(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** An object from alternating keys and already-encoded values. */
  static String obj(String... keysAndValues) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (i > 0) {
        b.append(',');
      }
      b.append(str(keysAndValues[i])).append(':').append(keysAndValues[i + 1]);
    }
    return b.append('}').toString();
  }
}
