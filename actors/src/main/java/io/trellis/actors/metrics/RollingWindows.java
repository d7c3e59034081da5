package io.trellis.actors.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Answers from this node's own scrapes of every proxy ({@link Scraper}): a rate is the change of
 * a counter between the newest scrape of a proxy and the oldest one within the window, divided by
 * the seconds between them (a counter that went down restarted from zero); quantiles interpolate
 * linearly within histogram buckets, as Prometheus' {@code histogram_quantile} does.
 */
public final class RollingWindows implements MetricsSource {
  /** One scrape of one proxy: when, and the value of every kept series. */
  public record Scrape(long atMillis, Map<Series, Double> values) {}

  /** A series: a metric name and all its labels. */
  public record Series(String name, Map<String, String> labels) {}

  /**
   * The scrapes of one proxy, oldest first, and whether its last scrape succeeded.
   *
   * @param error why the last scrape failed; null when it succeeded
   */
  public record Target(String workload, String namespace, List<Scrape> scrapes, String error) {
    public Target {
      scrapes = List.copyOf(scrapes);
    }

    boolean up() {
      return error == null && !scrapes.isEmpty();
    }
  }

  /** What the scraper publishes: every proxy's scrapes, immutable. */
  public record Snapshot(Map<String, Target> targets) {
    public static final Snapshot EMPTY = new Snapshot(Map.of());

    public Snapshot {
      targets = Map.copyOf(targets);
    }
  }

  private final Supplier<Snapshot> snapshot;

  public RollingWindows(Supplier<Snapshot> snapshot) {
    this.snapshot = snapshot;
  }

  @Override
  public CompletionStage<List<Sample>> sumRate(Selector s, List<String> by, Duration window) {
    return CompletableFuture.completedFuture(rates(snapshot.get(), s, by, window));
  }

  @Override
  public CompletionStage<List<Sample>> quantile(
      double q, Selector s, List<String> by, Duration window) {
    List<String> withLe = new ArrayList<>(by);
    withLe.add("le");
    Map<Map<String, String>, TreeMap<Double, Double>> histograms = new HashMap<>();
    for (Sample b : rates(snapshot.get(), s.on(s.metric() + "_bucket"), withLe, window)) {
      double le = parseLe(b.label("le"));
      histograms
          .computeIfAbsent(PromQl.only(b.labels(), by), k -> new TreeMap<>())
          .merge(le, b.value(), Double::sum);
    }
    List<Sample> out = new ArrayList<>();
    histograms.forEach((labels, buckets) -> out.add(new Sample(labels, quantile(q, buckets))));
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public CompletionStage<List<Sample>> sum(Selector s, List<String> by) {
    Map<Map<String, String>, Double> sums = new HashMap<>();
    for (Target t : snapshot.get().targets().values()) {
      if (!t.up()) {
        continue;
      }
      Scrape newest = t.scrapes().get(t.scrapes().size() - 1);
      newest.values().forEach((series, v) -> {
        if (s.matches(series.name(), series.labels())) {
          sums.merge(PromQl.only(series.labels(), by), v, Double::sum);
        }
      });
    }
    return CompletableFuture.completedFuture(samples(sums));
  }

  @Override
  public CompletionStage<Map<String, Integer>> proxiesUp(String namespace) {
    Map<String, Integer> up = new HashMap<>();
    for (Target t : snapshot.get().targets().values()) {
      if (t.namespace().equals(namespace)) {
        up.merge(t.workload(), t.up() ? 1 : 0, Integer::sum);
      }
    }
    return CompletableFuture.completedFuture(up);
  }

  @Override
  public String describe() {
    return "rolling windows";
  }

  static List<Sample> rates(Snapshot snap, Selector s, List<String> by, Duration window) {
    Map<Map<String, String>, Double> sums = new HashMap<>();
    for (Target t : snap.targets().values()) {
      List<Scrape> scrapes = t.scrapes();
      if (scrapes.size() < 2) {
        continue;
      }
      Scrape newest = scrapes.get(scrapes.size() - 1);
      Scrape base = null;
      for (Scrape c : scrapes) {
        if (c != newest && c.atMillis() >= newest.atMillis() - window.toMillis()) {
          base = c;
          break;
        }
      }
      if (base == null) {
        continue;
      }
      double seconds = (newest.atMillis() - base.atMillis()) / 1000.0;
      Map<Series, Double> before = base.values();
      for (Map.Entry<Series, Double> e : newest.values().entrySet()) {
        Series series = e.getKey();
        if (!s.matches(series.name(), series.labels())) {
          continue;
        }
        // A series missing from the older scrape did not exist yet: it counted from zero.
        double increase = e.getValue() - before.getOrDefault(series, 0.0);
        if (increase < 0) {
          increase = e.getValue(); // the proxy restarted
        }
        sums.merge(PromQl.only(series.labels(), by), increase / seconds, Double::sum);
      }
    }
    return samples(sums);
  }

  /**
   * Prometheus' histogram_quantile over cumulative bucket rates by upper bound: the rank's bucket,
   * then linear interpolation between its bounds (the lowest bucket starts at 0; a rank in +Inf
   * answers the highest finite bound). NaN without observations.
   */
  static double quantile(double q, TreeMap<Double, Double> buckets) {
    if (buckets.isEmpty()) {
      return Double.NaN;
    }
    double total = buckets.lastEntry().getValue();
    if (!(total > 0) || buckets.lastKey() != Double.POSITIVE_INFINITY) {
      return Double.NaN;
    }
    double rank = q * total;
    double lowerBound = 0;
    double lowerCount = 0;
    for (Map.Entry<Double, Double> b : buckets.entrySet()) {
      if (b.getValue() >= rank) {
        if (b.getKey() == Double.POSITIVE_INFINITY) {
          return lowerBound;
        }
        double inBucket = b.getValue() - lowerCount;
        if (inBucket <= 0) {
          return b.getKey();
        }
        return lowerBound + (b.getKey() - lowerBound) * ((rank - lowerCount) / inBucket);
      }
      lowerBound = b.getKey();
      lowerCount = b.getValue();
    }
    return lowerBound;
  }

  private static double parseLe(String le) {
    return le.equals("+Inf") || le.equals("Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  private static List<Sample> samples(Map<Map<String, String>, Double> sums) {
    List<Sample> out = new ArrayList<>();
    sums.forEach((labels, v) -> out.add(new Sample(labels, v)));
    return out;
  }
}
