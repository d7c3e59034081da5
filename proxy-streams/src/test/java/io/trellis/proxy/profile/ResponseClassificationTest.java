package io.trellis.proxy.profile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.RequestMatch;
import io.trellis.config.ResponseMatch;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import java.util.List;
import org.junit.jupiter.api.Test;

/** responseClasses decide failure; without a match, 5xx and gRPC status != OK are failures. */
class ResponseClassificationTest {
  static final ServiceRef WEB = new ServiceRef("demo", "web-svc", 80);

  static ProfileRoute route(ServiceProfile.ResponseClass... classes) {
    return RouteTable.compile(
            WEB,
            new ServiceProfile("web-svc.demo.svc.cluster.local", "demo", List.of(
                new ServiceProfile.Route(
                    "r", RequestMatch.PathRegex.of("/.*"), List.of(classes), false, null))),
            java.time.Duration.ofSeconds(10))
        .select("GET", "/");
  }

  @Test
  void defaultClassification() {
    ProfileRoute r = route();
    assertFalse(r.failure(200, false, null));
    assertFalse(r.failure(404, false, null));
    assertTrue(r.failure(500, false, null));
    assertTrue(r.failure(503, false, null));
    // gRPC: the status travels in trailers (or trailers-only headers); a missing one is a failure
    assertFalse(r.failure(200, true, "0"));
    assertTrue(r.failure(200, true, "14"));
    assertTrue(r.failure(200, true, null));
  }

  @Test
  void firstMatchingClassDecides() {
    ProfileRoute r =
        route(
            new ServiceProfile.ResponseClass(new ResponseMatch.Status(503, 503), false),
            new ServiceProfile.ResponseClass(new ResponseMatch.Status(400, 599), true));
    assertFalse(r.failure(503, false, null), "503 is declared a success first");
    assertTrue(r.failure(404, false, null));
    assertTrue(r.failure(500, false, null));
    assertFalse(r.failure(302, false, null), "no class matches, not 5xx");
  }

  @Test
  void allAnyNot() {
    ProfileRoute r =
        route(new ServiceProfile.ResponseClass(
            new ResponseMatch.All(List.of(
                new ResponseMatch.Any(List.of(
                    new ResponseMatch.Status(400, 499), new ResponseMatch.Status(500, 599))),
                new ResponseMatch.Not(new ResponseMatch.Status(404, 404)))),
            true));
    assertTrue(r.failure(429, false, null));
    assertTrue(r.failure(502, false, null));
    assertFalse(r.failure(404, false, null));
    assertFalse(r.failure(200, false, null));
  }
}
