package io.trellis.actors.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Rates from deltas between scrapes and Prometheus' histogram_quantile interpolation. */
class RollingWindowsTest {
  static RollingWindows.Series series(String name, String... kv) {
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      labels.put(kv[i], kv[i + 1]);
    }
    return new RollingWindows.Series(name, labels);
  }

  static RollingWindows.Snapshot one(String workload, RollingWindows.Scrape... scrapes) {
    return new RollingWindows.Snapshot(
        Map.of(workload, new RollingWindows.Target(workload, "ns", List.of(scrapes), null)));
  }

  @Test
  void quantileInterpolatesWithinTheRankBucketAsPrometheusDoes() {
    TreeMap<Double, Double> b = new TreeMap<>(Map.of(
        1.0, 10.0, 2.0, 20.0, 5.0, 30.0, Double.POSITIVE_INFINITY, 40.0));
    assertEquals(1.0, RollingWindows.quantile(0.25, b), 1e-9); // rank 10: top of [0,1]
    assertEquals(2.0, RollingWindows.quantile(0.5, b), 1e-9); // rank 20: top of (1,2]
    assertEquals(3.5, RollingWindows.quantile(0.625, b), 1e-9); // rank 25: half of (2,5]
    assertEquals(5.0, RollingWindows.quantile(0.95, b), 1e-9); // rank in +Inf: highest bound
    assertTrue(Double.isNaN(RollingWindows.quantile(0.5, new TreeMap<>(
        Map.of(1.0, 0.0, Double.POSITIVE_INFINITY, 0.0)))));
  }

  @Test
  void rateIsTheIncreaseOverTheSecondsBetweenTheWindowsScrapes() {
    RollingWindows.Series ok = series("response_total", "deployment", "web", "classification",
        "success");
    RollingWindows.Series bad = series("response_total", "deployment", "web", "classification",
        "failure");
    var snap = one("web",
        new RollingWindows.Scrape(0, Map.of(ok, 100.0)),
        new RollingWindows.Scrape(30_000, Map.of(ok, 400.0)),
        new RollingWindows.Scrape(60_000, Map.of(ok, 700.0)),
        // the failure series appears: it counted from zero
        new RollingWindows.Scrape(90_000, Map.of(ok, 1000.0, bad, 30.0)));
    var rates = RollingWindows.rates(snap, Selector.of("response_total").with("deployment", "web"),
        List.of("classification"), Duration.ofSeconds(30));
    Map<String, Double> byClass = new TreeMap<>();
    rates.forEach(s -> byClass.put(s.label("classification"), s.value()));
    assertEquals(Map.of("success", 10.0, "failure", 1.0), byClass);
    // over the whole 90 s
    var all = RollingWindows.rates(snap, Selector.of("response_total"), List.of(),
        Duration.ofMinutes(10));
    assertEquals((900.0 + 30.0) / 90, all.get(0).value(), 1e-9);
  }

  @Test
  void aCounterThatWentDownRestartedFromZero() {
    RollingWindows.Series s = series("request_total", "direction", "inbound");
    var snap = one("web",
        new RollingWindows.Scrape(0, Map.of(s, 500.0)),
        new RollingWindows.Scrape(10_000, Map.of(s, 20.0)));
    var rates = RollingWindows.rates(snap, Selector.of("request_total"), List.of("direction"),
        Duration.ofMinutes(1));
    assertEquals(2.0, rates.get(0).value(), 1e-9);
  }

  @Test
  void anUnreachableProxyCountsAsDownAndItsGaugesAsUnknown() throws Exception {
    RollingWindows.Series g = series("tcp_open_connections", "deployment", "web");
    var up = new RollingWindows.Target("web", "ns",
        List.of(new RollingWindows.Scrape(0, Map.of(g, 3.0))), null);
    var down = new RollingWindows.Target("emoji", "ns",
        List.of(new RollingWindows.Scrape(0, Map.of(series("tcp_open_connections", "deployment",
            "emoji"), 5.0))), "connection refused");
    var windows = new RollingWindows(() -> new RollingWindows.Snapshot(
        Map.of("web", up, "emoji", down)));
    assertEquals(Map.of("web", 1, "emoji", 0),
        windows.proxiesUp("ns").toCompletableFuture().get());
    var sums = windows.sum(Selector.of("tcp_open_connections"), List.of("deployment"))
        .toCompletableFuture().get();
    assertEquals(1, sums.size());
    assertEquals(3.0, sums.get(0).value());
  }
}
