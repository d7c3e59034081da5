package io.trellis.cli.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.cli.profile.GeneratedProfile.Route;
import io.trellis.cli.profile.ObservedRequests.Request;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Observed requests group into routes: identifiers become parameters, names stay. */
class RouteInferenceTest {
  private static List<String> names(List<Route> routes) {
    return routes.stream().map(r -> r.name() + " " + r.pathRegex()).toList();
  }

  @Test
  void numericUuidAndHexSegmentsBecomeParameters() {
    assertEquals("/api/vote/{id}", RouteInference.template("/api/vote/123"));
    assertEquals("/orders/{id}/lines/{id}", RouteInference.template("/orders/42/lines/-7"));
    assertEquals("/users/{id}",
        RouteInference.template("/users/9F1C2B7E-1D2A-4C3B-9A8F-0E1D2C3B4A59"));
    assertEquals("/blobs/{id}", RouteInference.template("/blobs/5d41402abc4b2a76b9719d911017c592"));
    assertEquals("/commits/{id}", RouteInference.template("/commits/1a2b3c4d"));
    assertEquals("/prices/{id}", RouteInference.template("/prices/19.99"));
  }

  @Test
  void namesStay() {
    assertEquals("/api/leaderboard", RouteInference.template("/api/leaderboard"));
    assertEquals("/v1/deadbeef", RouteInference.template("/v1/deadbeef")); // hex letters, no digit
    assertEquals("/cafe/1a2b", RouteInference.template("/cafe/1a2b")); // short
    assertEquals("/api/v2/list", RouteInference.template("/api/v2/list"));
    assertEquals("/", RouteInference.template("/"));
    assertEquals("/", RouteInference.template("?x=1"));
    assertEquals("/api/", RouteInference.template("/api/")); // trailing slash kept: distinct path
  }

  @Test
  void queryAndFragmentAreIgnored() {
    assertEquals("/api/vote", RouteInference.template("/api/vote?choice=:doughnut:"));
    assertEquals("/docs", RouteInference.template("/docs#intro?x"));
  }

  @Test
  void bracesCannotForgeAParameter() {
    assertEquals("/a/{id}", RouteInference.template("/a/{x}"));
    List<Route> routes = RouteInference.infer(List.of(new Request("GET", "/a/b{c")), 20);
    assertEquals(List.of("GET /a/{id} /a/[^/]*"), names(routes));
  }

  @Test
  void requestsGroupSortedByPathThenMethod() {
    List<Route> routes = RouteInference.infer(List.of(
        new Request("POST", "/api/vote/1"),
        new Request("GET", "/api/vote/2"),
        new Request("get", "/api/vote/3"),
        new Request("GET", "/api/list"),
        new Request("GET", "/api/vote/search"),
        new Request("DELETE", "/api/vote/4")), 20);
    assertEquals(List.of(
        "GET /api/list /api/list",
        "GET /api/vote/search /api/vote/search",
        "DELETE /api/vote/{id} /api/vote/[^/]*",
        "GET /api/vote/{id} /api/vote/[^/]*",
        "POST /api/vote/{id} /api/vote/[^/]*"), names(routes));
    assertFalse(routes.get(0).retryable()); // traffic says nothing about idempotency
  }

  @Test
  void literalPartsAreEscaped() {
    List<Route> routes = RouteInference.infer(List.of(new Request("GET", "/js/app.min.js")), 20);
    assertEquals(List.of("GET /js/app.min.js /js/app\\.min\\.js"), names(routes));
  }

  @Test
  void keepsTheFirstRoutesSeenUpToTheLimit() {
    List<Request> seen = new ArrayList<>();
    for (String p : List.of("/c", "/b", "/c", "/a", "/d")) {
      seen.add(new Request("GET", p));
    }
    assertEquals(List.of("GET /a /a", "GET /b /b", "GET /c /c"),
        names(RouteInference.infer(seen, 3)));
    assertTrue(RouteInference.infer(List.of(), 3).isEmpty());
  }
}
