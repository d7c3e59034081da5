package io.trellis.proxy.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HeaderRoute;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.OpaquePorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import io.trellis.config.TrafficSplit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The real {@link BackendTable} compiled from a mesh snapshot, drawn from with a seeded random:
 * proportions within 2 percentage points over 10,000 requests, zero weights never drawn, all-zero
 * weights keep the apex, header rules first, and new weights from the next snapshot on.
 */
class SplitProportionsTest {
  static final ServiceRef APEX = new ServiceRef("demo", "web-svc", 80);
  static final Function<String, String> NO_HEADERS = name -> null;

  static MeshConfig mesh(List<HeaderRoute> routing, TrafficSplit.Backend... backends) {
    Map<String, ServiceConfig> services = new LinkedHashMap<>();
    services.put("web-svc", new ServiceConfig("web-svc", 80, List.of(), OpaquePorts.DEFAULT, null,
        routing, Map.of()));
    for (String s : List.of("web-v1", "web-v2", "web-v3")) {
      services.put(s, new ServiceConfig(s, 8080, List.of(new HostPort("127.0.0.1", 1))));
    }
    List<TrafficSplit> splits = backends.length == 0 ? List.of()
        : List.of(new TrafficSplit("web-split", "demo", "web-svc", List.of(backends)));
    return new MeshConfig("demo", services, Map.of(), List.of(), splits, null);
  }

  static TrafficSplit.Backend backend(String service, long weightMilli) {
    return new TrafficSplit.Backend(service, weightMilli);
  }

  /** Share of each backend's name over {@code n} draws from a seeded random. */
  static Map<String, Double> shares(BackendTable table, int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(table.pick(NO_HEADERS, random).name(), 1, Integer::sum);
    }
    Map<String, Double> out = new HashMap<>();
    counts.forEach((k, v) -> out.put(k, 100.0 * v / n));
    return out;
  }

  static void assertShare(Map<String, Double> shares, String backend, double percent) {
    double got = shares.getOrDefault(backend, 0.0);
    assertTrue(Math.abs(got - percent) <= 2.0,
        backend + ": " + got + "% of requests, expected " + percent + "% +/- 2 points; " + shares);
  }

  @Test
  void v1alpha1QuantitiesWithin2PointsOver10000Requests() {
    // 900m / 100m, as a v1alpha1 split writes them; the apex's own endpoints are one backend.
    BackendTable table = BackendTable.compile(
        mesh(List.of(), backend("web-svc", 900), backend("web-v2", 100)), APEX);
    for (long seed : new long[] {1, 42, 20261124}) {
      Map<String, Double> shares = shares(table, 10_000, seed);
      assertShare(shares, "web-svc", 90);
      assertShare(shares, "web-v2", 10);
    }
  }

  @Test
  void threeWayIntegerWeights() {
    // v1alpha2 integers 50 / 30 / 20, kept in thousandths
    BackendTable table = BackendTable.compile(mesh(List.of(),
        backend("web-v1", 50_000), backend("web-v2", 30_000), backend("web-v3", 20_000)), APEX);
    Map<String, Double> shares = shares(table, 10_000, 7);
    assertShare(shares, "web-v1", 50);
    assertShare(shares, "web-v2", 30);
    assertShare(shares, "web-v3", 20);
    SplittableRandom random = new SplittableRandom(9);
    ServiceRef v3 = null;
    for (int i = 0; i < 1_000 && v3 == null; i++) {
      ServiceRef s = table.pick(NO_HEADERS, random);
      v3 = s.name().equals("web-v3") ? s : null;
    }
    assertEquals(new ServiceRef("demo", "web-v3", 8080), v3, "a backend on its own port");
  }

  @Test
  void zeroWeightBackendsGetNothing() {
    BackendTable table = BackendTable.compile(
        mesh(List.of(), backend("web-v1", 0), backend("web-v2", 1000), backend("web-v3", 0)), APEX);
    assertEquals(Map.of("web-v2", 100.0), shares(table, 10_000, 3));
  }

  @Test
  void allZeroWeightsKeepTheApex() {
    BackendTable table = BackendTable.compile(
        mesh(List.of(), backend("web-v1", 0), backend("web-v2", 0)), APEX);
    assertEquals(Map.of("web-svc", 100.0), shares(table, 1_000, 3));
  }

  @Test
  void noSplitNoRulesNoTable() {
    assertNull(BackendTable.compile(mesh(List.of()), APEX));
  }

  @Test
  void headerRulesComeFirstThenTheSplit() {
    List<HeaderRoute> rules = List.of(
        new HeaderRoute(List.of(HeaderRoute.HeaderMatch.exact("x-canary", "true")), "web-v3"),
        new HeaderRoute(List.of(HeaderRoute.HeaderMatch.regex("x-user", "alice|bob")), "web-svc"));
    BackendTable table = BackendTable.compile(
        mesh(rules, backend("web-v1", 500), backend("web-v2", 500)), APEX);
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 100; i++) {
      assertEquals("web-v3", table.pick(Map.of("x-canary", "true")::get, random).name());
      // a rule whose backend is the apex: the apex's own endpoints, never split
      assertEquals(APEX, table.pick(Map.of("x-user", "bob")::get, random));
    }
    Map<String, Double> unmatched = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      unmatched.merge(table.pick(Map.of("x-canary", "false")::get, random).name(), 0.01, Double::sum);
    }
    assertShare(unmatched, "web-v1", 50);
    assertShare(unmatched, "web-v2", 50);
  }

  @Test
  void newWeightsApplyFromTheNextSnapshot() {
    AtomicReference<MeshConfig> current =
        new AtomicReference<>(mesh(List.of(), backend("web-v1", 1000), backend("web-v2", 0)));
    Backends backends = new Backends(current::get);
    BackendTable before = backends.table(APEX);
    assertEquals(Map.of("web-v1", 100.0), shares(before, 1_000, 1));
    assertTrue(before == backends.table(APEX), "compiled once per snapshot, not per request");

    current.set(mesh(List.of(), backend("web-v1", 0), backend("web-v2", 1000)));
    assertEquals(Map.of("web-v2", 100.0), shares(backends.table(APEX), 1_000, 1));
  }
}
