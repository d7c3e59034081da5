package io.trellis.cli.profile;

/** Path templates ({@code /books/{id}}) as pathRegexes ({@code /books/[^/]*}). */
public final class PathTemplates {
  /** What a template parameter matches: one path segment, possibly empty. */
  public static final String SEGMENT = "[^/]*";

  private PathTemplates() {}

  /**
   * Each {@code {param}} becomes {@link #SEGMENT}; everything else is matched literally. An
   * unclosed brace is literal text.
   */
  public static String toRegex(String template) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < template.length()) {
      int open = template.indexOf('{', at);
      int close = open < 0 ? -1 : template.indexOf('}', open);
      if (close < 0) {
        out.append(quote(template.substring(at)));
        break;
      }
      out.append(quote(template.substring(at, open))).append(SEGMENT);
      at = close + 1;
    }
    return out.toString();
  }

  /**
   * Escapes the characters that are special in a regex, as Go's regexp.QuoteMeta does, so that the
   * result reads well and means the same in Java, Go and Rust: "/api/v1.0" becomes "/api/v1\.0".
   */
  public static String quote(String literal) {
    StringBuilder out = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}
