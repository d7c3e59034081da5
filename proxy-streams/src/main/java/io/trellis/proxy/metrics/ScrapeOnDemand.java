package io.trellis.proxy.metrics;

import com.typesafe.config.Config;
import java.time.Duration;
import kamon.Kamon$;
import kamon.metric.PeriodSnapshot;
import kamon.prometheus.PrometheusSettings;
import kamon.prometheus.ScrapeDataBuilder;
import kamon.tag.TagSet;
import scala.collection.immutable.Seq;

/**
 * The Prometheus text of {@code /metrics}, read from the instruments when it is scraped: between
 * scrapes a proxy spends nothing on metrics.
 *
 * <p>Kamon's model is a periodic tick: every second it snapshots and resets every instrument and
 * hands the snapshot to its reporters. On a sidecar that tick was the largest single source of
 * the latency tail: both proxies of a 2-hop path ticked at the same wall-clock second, and the
 * snapshot (every bucket of every histogram), the merge into running totals and the JIT compiling
 * that once-a-second code took the proxies' shared core for a few milliseconds, so about a third
 * of the requests over 1 ms at 2,000 requests/s arrived within 50 ms of a wall-clock second
 * (bench/RESULTS.md, session 7). So {@link KamonSetup} sets Kamon's tick past any proxy's life,
 * and a scrape reads the instruments itself, without resetting them: the instruments hold the
 * totals since start (Prometheus counters and histograms are cumulative), and any number of
 * readers see the same totals.
 *
 * <p>Scrapes less than {@code minRefresh} after the last reading share its text, which bounds what
 * frequent scrapers cost (rendering every bucket of every series takes milliseconds).
 */
final class ScrapeOnDemand {
  private final PrometheusSettings.Generic settings;
  private final TagSet environment;
  private final long minRefreshNanos;
  /** Guarded by this. Null until the first scrape. */
  private String text;
  /** Guarded by this: when {@link #text} was read from the instruments (System.nanoTime). */
  private long readAt;
  /** Guarded by this: texts rendered so far (tests). */
  private int renders;

  /**
   * @param prometheus the {@code kamon.prometheus} section, read once
   * @param minRefresh scrapes closer together than this share one reading
   */
  ScrapeOnDemand(Config prometheus, Duration minRefresh) {
    this.settings = PrometheusSettings.readSettings(prometheus);
    this.environment = PrometheusSettings.environmentTags(settings);
    this.minRefreshNanos = minRefresh.toNanos();
  }

  /** The instruments' totals now, or as of the last reading if it is younger than minRefresh. */
  synchronized String scrapeData() {
    long now = System.nanoTime();
    if (text == null || now - readAt >= minRefreshNanos) {
      // Kamon.registry(), which has no static forwarder for Java.
      PeriodSnapshot data = Kamon$.MODULE$.registry().snapshot(false);
      ScrapeDataBuilder builder = new ScrapeDataBuilder(settings, environment);
      builder.appendCounters(data.counters());
      builder.appendGauges(data.gauges());
      builder.appendDistributionMetricsAsGauges(
          concat(concat(data.rangeSamplers(), data.histograms()), data.timers()));
      builder.appendHistograms(data.histograms());
      builder.appendHistograms(data.timers());
      builder.appendHistograms(data.rangeSamplers());
      text = builder.build();
      readAt = now;
      renders++;
    }
    return text;
  }

  synchronized int renders() {
    return renders;
  }

  /** Scala's {@code a ++ b}; its result type is erased to Object for Java. */
  @SuppressWarnings("unchecked")
  private static <T> Seq<T> concat(Seq<T> a, Seq<T> b) {
    return (Seq<T>) a.appendedAll(b);
  }
}
