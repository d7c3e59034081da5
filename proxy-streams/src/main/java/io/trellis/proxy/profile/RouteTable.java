package io.trellis.proxy.profile;

import io.trellis.config.Fault;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A service's routes in profile order, compiled once per profile snapshot; requests only read it.
 * The first route whose condition matches wins; a request no route matches is on {@code
 * [DEFAULT]}. Path regexes were anchored and compiled when the profile was loaded (full match, as
 * Linkerd).
 */
public final class RouteTable {
  private final ServiceProfile profile;
  private final Map<String, Fault> faults;
  private final List<ProfileRoute> routes;
  private final ProfileRoute defaultRoute;

  private RouteTable(
      ServiceProfile profile,
      Map<String, Fault> faults,
      List<ProfileRoute> routes,
      ProfileRoute defaultRoute) {
    this.profile = profile;
    this.faults = faults;
    this.routes = List.copyOf(routes);
    this.defaultRoute = defaultRoute;
  }

  /** The table of a service with {@code profile} (null: no profile, so only {@code [DEFAULT]}). */
  public static RouteTable compile(
      ServiceRef service, ServiceProfile profile, Duration defaultTimeout) {
    return compile(service, profile, Map.of(), defaultTimeout);
  }

  /**
   * As {@link #compile(ServiceRef, ServiceProfile, Duration)} with mesh.conf's faults by route
   * name ({@code [DEFAULT]} included), which replace a profile route's own.
   */
  public static RouteTable compile(
      ServiceRef service, ServiceProfile profile, Map<String, Fault> faults,
      Duration defaultTimeout) {
    ServiceProfile.RetryBudget budget =
        profile != null ? profile.retryBudget() : ServiceProfile.RetryBudget.DEFAULT;
    List<ProfileRoute> routes = new ArrayList<>();
    if (profile != null) {
      profile.routes().forEach(r ->
          routes.add(ProfileRoute.of(service, r, budget, defaultTimeout, faults.get(r.name()))));
    }
    return new RouteTable(profile, Map.copyOf(faults), routes,
        ProfileRoute.defaultOf(service, budget, faults.get(ProfileRoute.DEFAULT)));
  }

  /** The route of a request: the first that matches, else {@code [DEFAULT]}. */
  public ProfileRoute select(String method, String path) {
    for (int i = 0, n = routes.size(); i < n; i++) { // indexed: no Iterator per request
      ProfileRoute r = routes.get(i);
      if (r.condition().matches(method, path)) {
        return r;
      }
    }
    return defaultRoute;
  }

  /** The profile this table was compiled from, or null. */
  ServiceProfile profile() {
    return profile;
  }

  /** The mesh.conf faults this table was compiled with. */
  Map<String, Fault> faults() {
    return faults;
  }

  public List<ProfileRoute> routes() {
    return routes;
  }
}
