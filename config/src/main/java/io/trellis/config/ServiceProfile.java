package io.trellis.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A ServiceProfile (linkerd.io/v1alpha2), as Linkerd users write it. {@code name} is the service's
 * FQDN, as in {@code web-svc.demo.svc.cluster.local}.
 *
 * @param routes in file order; the first route whose condition matches a request wins
 * @param retryBudget the budget shared by every retryable route (Linkerd's defaults if unset)
 * @param dstOverrides traffic shifting by authority; empty means "send to the service itself"
 * @param opaquePorts ports of the service whose traffic is never parsed as HTTP
 */
public record ServiceProfile(
    String name,
    String namespace,
    List<Route> routes,
    RetryBudget retryBudget,
    List<DstOverride> dstOverrides,
    Set<Integer> opaquePorts) {

  public ServiceProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    routes = List.copyOf(routes);
    Objects.requireNonNull(retryBudget, "retryBudget");
    dstOverrides = List.copyOf(dstOverrides);
    opaquePorts = Set.copyOf(opaquePorts);
  }

  /** A profile with routes only, the budget defaulted. */
  public ServiceProfile(String name, String namespace, List<Route> routes) {
    this(name, namespace, routes, RetryBudget.DEFAULT, List.of(), Set.of());
  }

  /** The route a request belongs to: the first whose condition matches. */
  public Optional<Route> routeFor(String method, String path) {
    return routes.stream().filter(r -> r.condition().matches(method, path)).findFirst();
  }

  /**
   * A named class of requests, for per-route metrics, retries and timeouts.
   *
   * @param responseClasses first match classifies the response; when none matches, a response is a
   *     failure iff its status is 5xx (Linkerd's default classification)
   * @param retryable whether failed requests may be retried within the profile's budget
   * @param timeout the whole request's deadline including retries, or null when unset (the proxy
   *     then applies its default)
   * @param fault fault injection ({@code x-trellis-fault}, a Trellis extension), or null
   */
  public record Route(
      String name,
      RequestMatch condition,
      List<ResponseClass> responseClasses,
      boolean retryable,
      Duration timeout,
      Fault fault) {
    public Route {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(condition, "condition");
      responseClasses = List.copyOf(responseClasses);
    }

    /** A route without fault injection. */
    public Route(
        String name,
        RequestMatch condition,
        List<ResponseClass> responseClasses,
        boolean retryable,
        Duration timeout) {
      this(name, condition, responseClasses, retryable, timeout, null);
    }

    /** Whether a response with this status counts as a failure on this route. */
    public boolean isFailure(int status) {
      for (ResponseClass c : responseClasses) {
        if (c.condition().matches(status)) {
          return c.failure();
        }
      }
      return status >= 500 && status <= 599;
    }
  }

  /** Responses matching {@code condition} are failures when {@code failure} is set. */
  public record ResponseClass(ResponseMatch condition, boolean failure) {
    public ResponseClass {
      Objects.requireNonNull(condition, "condition");
    }
  }

  /**
   * Retries may add at most {@code retryRatio} of the original requests, plus {@code
   * minRetriesPerSecond} so that low-traffic services can retry at all; deposits expire after
   * {@code ttl}.
   */
  public record RetryBudget(double retryRatio, int minRetriesPerSecond, Duration ttl) {
    /** Linkerd's defaults, used when a profile has no retryBudget. */
    public static final RetryBudget DEFAULT = new RetryBudget(0.2, 10, Duration.ofSeconds(10));

    public RetryBudget {
      Objects.requireNonNull(ttl, "ttl");
    }
  }

  /**
   * Send a share of the service's traffic to {@code authority} instead.
   *
   * @param weightMilli the weight in thousandths (a Kubernetes quantity: "1" is 1000, "500m" 500)
   */
  public record DstOverride(String authority, long weightMilli) {
    public DstOverride {
      Objects.requireNonNull(authority, "authority");
    }
  }
}
