package io.trellis.proxy.profile;

import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A service's routes in profile order, compiled once per profile snapshot; requests only read it.
 * The first route whose condition matches wins; a request no route matches is on {@code
 * [DEFAULT]}. Path regexes were anchored and compiled when the profile was loaded (full match, as
 * Linkerd).
 */
public final class RouteTable {
  private final ServiceProfile profile;
  private final List<ProfileRoute> routes;
  private final ProfileRoute defaultRoute;

  private RouteTable(ServiceProfile profile, List<ProfileRoute> routes, ProfileRoute defaultRoute) {
    this.profile = profile;
    this.routes = List.copyOf(routes);
    this.defaultRoute = defaultRoute;
  }

  /** The table of a service with {@code profile} (null: no profile, so only {@code [DEFAULT]}). */
  public static RouteTable compile(
      ServiceRef service, ServiceProfile profile, Duration defaultTimeout) {
    ServiceProfile.RetryBudget budget =
        profile != null ? profile.retryBudget() : ServiceProfile.RetryBudget.DEFAULT;
    List<ProfileRoute> routes = new ArrayList<>();
    if (profile != null) {
      profile.routes().forEach(r -> routes.add(ProfileRoute.of(service, r, budget, defaultTimeout)));
    }
    return new RouteTable(profile, routes, ProfileRoute.defaultOf(service, budget));
  }

  /** The route of a request: the first that matches, else {@code [DEFAULT]}. */
  public ProfileRoute select(String method, String path) {
    for (ProfileRoute r : routes) {
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

  public List<ProfileRoute> routes() {
    return routes;
  }
}
