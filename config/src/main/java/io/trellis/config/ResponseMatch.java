package io.trellis.config;

import java.util.List;
import java.util.Objects;

/** A ServiceProfile response class condition; several fields set in YAML mean all of them. */
public sealed interface ResponseMatch {
  boolean matches(int status);

  /** {@code min <= status <= max}. */
  record Status(int min, int max) implements ResponseMatch {
    public Status {
      if (min < 100 || max > 599 || min > max) {
        throw new IllegalArgumentException(
            "status range " + min + ".." + max + " is not within 100..599");
      }
    }

    @Override
    public boolean matches(int status) {
      return status >= min && status <= max;
    }
  }

  record All(List<ResponseMatch> matches) implements ResponseMatch {
    public All {
      matches = List.copyOf(matches);
    }

    @Override
    public boolean matches(int status) {
      return matches.stream().allMatch(m -> m.matches(status));
    }
  }

  record Any(List<ResponseMatch> matches) implements ResponseMatch {
    public Any {
      matches = List.copyOf(matches);
    }

    @Override
    public boolean matches(int status) {
      return matches.stream().anyMatch(m -> m.matches(status));
    }
  }

  record Not(ResponseMatch match) implements ResponseMatch {
    public Not {
      Objects.requireNonNull(match, "match");
    }

    @Override
    public boolean matches(int status) {
      return !match.matches(status);
    }
  }
}
