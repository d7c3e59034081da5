package io.trellis.cli.profile;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A ServiceProfile as {@code trellis profile} prints it: the fields exactly as they will be
 * written, so that a regex or a timeout reads as the source spelled it (the config module's
 * records hold compiled patterns and parsed durations instead).
 *
 * @param service the service's name, the first label of its FQDN
 */
public record GeneratedProfile(String service, String namespace, List<Route> routes) {
  public GeneratedProfile {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(namespace, "namespace");
    routes = List.copyOf(routes);
  }

  /** How Linkerd names a profile: the service's FQDN. */
  public String fqdn() {
    return service + "." + namespace + ".svc.cluster.local";
  }

  /**
   * One route: requests with {@code method} whose path matches {@code pathRegex}.
   *
   * @param timeout as written (a Go duration such as "300ms"), or null when unset
   */
  public record Route(
      String name,
      String method,
      String pathRegex,
      List<ResponseClass> responseClasses,
      boolean retryable,
      String timeout) {
    /**
     * Linkerd's order for routes named "METHOD /path/template": by path template, then method. A
     * literal segment sorts before a parameter ('{' is after every letter and digit), so of two
     * overlapping routes the more specific one usually comes first, and wins.
     */
    public static final Comparator<Route> ORDER =
        Comparator.comparing((Route r) -> r.name().substring(r.name().indexOf(' ') + 1))
            .thenComparing(Route::method);

    public Route {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(pathRegex, "pathRegex");
      responseClasses = List.copyOf(responseClasses);
    }

    public Route(String name, String method, String pathRegex) {
      this(name, method, pathRegex, List.of(), false, null);
    }
  }

  /** Responses with a status in [min, max] are failures iff {@code failure}. */
  public record ResponseClass(int min, int max, boolean failure) {}
}
