package io.trellis.proxy.profile;

import io.trellis.config.Fault;
import io.trellis.config.RequestMatch;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One route of a service as the request path sees it: its name (the {@code rt_route} label), the
 * condition a request must match, how its responses are classified, its timeout and whether it is
 * retried within the service's budget. Immutable; built once per profile snapshot.
 *
 * @param timeout bounds the request including its retries; null for none ({@code [DEFAULT]})
 * @param budget the service's retry budget, shared by its retryable routes
 * @param fault faults injected on the route, or null for none
 */
public record ProfileRoute(
    ServiceRef service,
    String name,
    RequestMatch condition,
    List<ServiceProfile.ResponseClass> responseClasses,
    boolean retryable,
    Duration timeout,
    ServiceProfile.RetryBudget budget,
    Fault fault) {

  /** The name of the route that takes every request no profile route matched, as in Linkerd. */
  public static final String DEFAULT = "[DEFAULT]";

  public ProfileRoute {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(condition, "condition");
    responseClasses = List.copyOf(responseClasses);
    Objects.requireNonNull(budget, "budget");
  }

  /** A route without faults. */
  public ProfileRoute(
      ServiceRef service,
      String name,
      RequestMatch condition,
      List<ServiceProfile.ResponseClass> responseClasses,
      boolean retryable,
      Duration timeout,
      ServiceProfile.RetryBudget budget) {
    this(service, name, condition, responseClasses, retryable, timeout, budget, null);
  }

  /**
   * The route a profile route compiles to; an unset timeout takes {@code defaultTimeout}, and a
   * mesh.conf fault ({@code meshFault}, may be null) replaces the route's own.
   */
  static ProfileRoute of(
      ServiceRef service,
      ServiceProfile.Route route,
      ServiceProfile.RetryBudget budget,
      Duration defaultTimeout,
      Fault meshFault) {
    return new ProfileRoute(
        service,
        route.name(),
        route.condition(),
        route.responseClasses(),
        route.retryable(),
        route.timeout() != null ? route.timeout() : defaultTimeout,
        budget,
        meshFault != null ? meshFault : route.fault());
  }

  /** {@code [DEFAULT]}: no timeout, never retried, Linkerd's default classification. */
  static ProfileRoute defaultOf(
      ServiceRef service, ServiceProfile.RetryBudget budget, Fault fault) {
    return new ProfileRoute(
        service, DEFAULT, new RequestMatch.Any(List.of()), List.of(), false, null, budget, fault);
  }

  /** The {@code dst} label: the service's canonical authority. */
  public String dst() {
    return service.authority();
  }

  /**
   * Whether a response is a failure on this route: the first response class whose status condition
   * matches decides; otherwise (Linkerd's default) a 5xx is a failure, and for gRPC any status
   * other than OK (0), a missing one included.
   *
   * @param grpcStatus the grpc-status value (trailers, or headers of a trailers-only answer), or
   *     null when there was none
   */
  public boolean failure(int status, boolean grpc, String grpcStatus) {
    // Indexed: an iterator here was 1 % of the proxy's allocation (JFR; called for every response).
    for (int i = 0, n = responseClasses.size(); i < n; i++) {
      ServiceProfile.ResponseClass c = responseClasses.get(i);
      if (c.condition().matches(status)) {
        return c.failure();
      }
    }
    return (status >= 500 && status <= 599) || (grpc && !"0".equals(grpcStatus));
  }
}
