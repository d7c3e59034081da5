package io.trellis.proxy.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.trellis.config.MeshConfig;
import io.trellis.config.RequestMatch;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Requests land on the first matching profile route; the rest on [DEFAULT]. */
class RouteMatchingTest {
  static final ServiceRef WEB = new ServiceRef("demo", "web-svc", 80);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  static ServiceProfile.Route route(String name, RequestMatch condition) {
    return new ServiceProfile.Route(name, condition, List.of(), false, null);
  }

  static ServiceProfile profile(ServiceProfile.Route... routes) {
    return new ServiceProfile("web-svc.demo.svc.cluster.local", "demo", List.of(routes));
  }

  final RouteTable table =
      RouteTable.compile(
          WEB,
          profile(
              route("GET /api/list", new RequestMatch.All(List.of(
                  new RequestMatch.Method("GET"), RequestMatch.PathRegex.of("/api/list")))),
              route("vote", new RequestMatch.All(List.of(
                  new RequestMatch.Method("POST"),
                  RequestMatch.PathRegex.of("/api/vote/[^/]+")))),
              route("any api", RequestMatch.PathRegex.of("/api/.*")),
              route("not GET", new RequestMatch.Not(new RequestMatch.Method("GET"))),
              route("head or options", new RequestMatch.Any(List.of(
                  new RequestMatch.Method("HEAD"), new RequestMatch.Method("OPTIONS"))))),
          DEFAULT_TIMEOUT);

  String routeOf(String method, String path) {
    return table.select(method, path).name();
  }

  @Test
  void methodAndPathTogether() {
    assertEquals("GET /api/list", routeOf("GET", "/api/list"));
    assertEquals("GET /api/list", routeOf("GET", "/api/list?page=2"));
  }

  @Test
  void pathRegexMatchesTheWholePath() {
    // "/api/list" does not match "/api/list/1": the next matching route takes it.
    assertEquals("any api", routeOf("GET", "/api/list/1"));
    assertEquals("vote", routeOf("POST", "/api/vote/doughnut"));
    assertEquals("any api", routeOf("POST", "/api/vote/doughnut/extra"));
  }

  @Test
  void firstMatchWins() {
    // POST /api/list matches "any api" and "not GET": the earlier one wins.
    assertEquals("any api", routeOf("POST", "/api/list"));
  }

  @Test
  void notAndAny() {
    assertEquals("not GET", routeOf("DELETE", "/other"));
    assertEquals("not GET", routeOf("HEAD", "/other")); // before "head or options"
    assertEquals(ProfileRoute.DEFAULT, routeOf("GET", "/other"));
  }

  @Test
  void unmatchedIsDefaultWithoutTimeoutOrRetries() {
    ProfileRoute d = table.select("GET", "/");
    assertEquals("[DEFAULT]", d.name());
    assertNull(d.timeout());
    assertEquals(false, d.retryable());
    assertEquals("web-svc.demo.svc.cluster.local:80", d.dst());
  }

  @Test
  void routeTimeoutDefaultsToTenSeconds() {
    assertEquals(DEFAULT_TIMEOUT, table.select("GET", "/api/list").timeout());
    RouteTable own =
        RouteTable.compile(
            WEB,
            profile(new ServiceProfile.Route(
                "slow", RequestMatch.PathRegex.of("/slow"), List.of(), true, Duration.ofMillis(250))),
            DEFAULT_TIMEOUT);
    assertEquals(Duration.ofMillis(250), own.select("GET", "/slow").timeout());
  }

  @Test
  void noProfileMeansOnlyDefault() {
    RouteTable none = RouteTable.compile(WEB, null, DEFAULT_TIMEOUT);
    assertEquals(ProfileRoute.DEFAULT, none.select("GET", "/api/list").name());
  }

  @Test
  void compiledOncePerSnapshotAndKeptWhenUnchanged() {
    ServiceProfile p = profile(route("list", RequestMatch.PathRegex.of("/list")));
    AtomicReference<MeshConfig> mesh = new AtomicReference<>(mesh(p, 80));
    Profiles profiles = new Profiles(mesh::get, DEFAULT_TIMEOUT);

    RouteTable first = profiles.table(WEB);
    assertEquals("list", first.select("GET", "/list").name());
    assertSame(first, profiles.table(WEB), "same snapshot: no recompilation");

    mesh.set(mesh(profile(route("list", RequestMatch.PathRegex.of("/list"))), 80));
    assertSame(first, profiles.table(WEB), "equal profile in a new snapshot: table kept");

    mesh.set(mesh(profile(route("renamed", RequestMatch.PathRegex.of("/list"))), 80));
    RouteTable changed = profiles.table(WEB);
    assertNotSame(first, changed);
    assertEquals("renamed", changed.select("GET", "/list").name());
  }

  static MeshConfig mesh(ServiceProfile profile, int port) {
    return new MeshConfig(
        "demo",
        Map.of("web-svc", new ServiceConfig("web-svc", port, List.of())),
        Map.of(),
        List.of(profile),
        List.of(),
        (Path) null);
  }
}
