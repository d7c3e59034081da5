package io.trellis.config;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A header routing rule of a service (mesh.conf {@code services.<name>.routing}): a request to the
 * service whose headers all match goes to {@code backend} (a service of the mesh; the service
 * itself means its own endpoints). Rules are tried in order before any traffic split; the first
 * that matches wins.
 */
public record HeaderRoute(List<HeaderMatch> headers, String backend) {
  public HeaderRoute {
    headers = List.copyOf(headers);
    Objects.requireNonNull(backend, "backend");
  }

  /** Whether every header condition holds; {@code header} gives a header's value, or null. */
  public boolean matches(Function<String, String> header) {
    for (HeaderMatch m : headers) {
      if (!m.matches(header.apply(m.name()))) {
        return false;
      }
    }
    return true;
  }

  /** One header condition: the value equals {@code exact}, or matches {@code regex} as a whole. */
  public record HeaderMatch(String name, String exact, Pattern regex) {
    public HeaderMatch {
      Objects.requireNonNull(name, "name");
      if ((exact == null) == (regex == null)) {
        throw new IllegalArgumentException("a header match needs exactly one of exact or regex");
      }
    }

    public static HeaderMatch exact(String name, String value) {
      return new HeaderMatch(name, value, null);
    }

    public static HeaderMatch regex(String name, String regex) {
      return new HeaderMatch(name, null, Pattern.compile(regex));
    }

    /** A missing header ({@code value} null) never matches. */
    public boolean matches(String value) {
      if (value == null) {
        return false;
      }
      return exact != null ? exact.equals(value) : regex.matcher(value).matches();
    }

    // Patterns have identity equality; compare them by their source so equal configs are equal.
    @Override
    public boolean equals(Object o) {
      return o instanceof HeaderMatch m
          && name.equals(m.name)
          && Objects.equals(exact, m.exact)
          && Objects.equals(regex == null ? null : regex.pattern(),
              m.regex == null ? null : m.regex.pattern());
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, exact, regex == null ? null : regex.pattern());
    }
  }
}
