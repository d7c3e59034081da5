package io.trellis.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A ServiceProfile route condition. A YAML condition with several fields set (say {@code method}
 * and {@code pathRegex}) means all of them, as in Linkerd, and loads as {@link All}.
 */
public sealed interface RequestMatch {
  boolean matches(String method, String path);

  /** The HTTP method, compared case-sensitively as HTTP defines it (users write "GET"). */
  record Method(String method) implements RequestMatch {
    public Method {
      Objects.requireNonNull(method, "method");
      method = method.toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean matches(String requestMethod, String path) {
      return method.equals(requestMethod);
    }
  }

  /**
   * The path (without the query) must match {@code pattern} as a whole: Linkerd's proxy anchors
   * pathRegex with ^ and $ (unless already anchored), so "/api/list" does not match "/api/list/1".
   * The pattern is compiled already anchored.
   */
  record PathRegex(Pattern pattern) implements RequestMatch {
    public PathRegex {
      Objects.requireNonNull(pattern, "pattern");
    }

    /** Compiles {@code regex} anchored to the whole path, as Linkerd does. */
    public static PathRegex of(String regex) {
      String r = regex.trim();
      String anchored = (r.startsWith("^") ? "" : "^") + r + (r.endsWith("$") ? "" : "$");
      return new PathRegex(Pattern.compile(anchored));
    }

    @Override
    public boolean matches(String method, String path) {
      int query = path.indexOf('?');
      return pattern.matcher(query < 0 ? path : path.substring(0, query)).matches();
    }

    // Pattern has identity equality; compare by source so that equal profiles are equal.
    @Override
    public boolean equals(Object o) {
      return o instanceof PathRegex p && p.pattern.pattern().equals(pattern.pattern());
    }

    @Override
    public int hashCode() {
      return pattern.pattern().hashCode();
    }
  }

  /** Every condition matches (true when empty). */
  record All(List<RequestMatch> matches) implements RequestMatch {
    public All {
      matches = List.copyOf(matches);
    }

    @Override
    public boolean matches(String method, String path) {
      return matches.stream().allMatch(m -> m.matches(method, path));
    }
  }

  /** At least one condition matches (false when empty). */
  record Any(List<RequestMatch> matches) implements RequestMatch {
    public Any {
      matches = List.copyOf(matches);
    }

    @Override
    public boolean matches(String method, String path) {
      return matches.stream().anyMatch(m -> m.matches(method, path));
    }
  }

  record Not(RequestMatch match) implements RequestMatch {
    public Not {
      Objects.requireNonNull(match, "match");
    }

    @Override
    public boolean matches(String method, String path) {
      return !match.matches(method, path);
    }
  }
}
