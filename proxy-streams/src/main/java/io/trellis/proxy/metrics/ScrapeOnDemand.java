package io.trellis.proxy.metrics;

import com.typesafe.config.Config;
import java.time.Duration;
import kamon.metric.PeriodSnapshot;
import kamon.module.MetricReporter;
import kamon.prometheus.PrometheusSettings;
import kamon.prometheus.ScrapeDataBuilder;
import kamon.tag.TagSet;
import scala.collection.immutable.Seq;

/**
 * The Prometheus text of {@code /metrics}, written when it is scraped rather than on every tick.
 *
 * <p>Kamon's own {@code PrometheusReporter} re-reads its settings and renders the whole text (every
 * bucket of every series, through {@code DecimalFormat}) once per tick, scraped or not: about 4 ms
 * of CPU each second on a proxy's core under load, the JIT compiling the formatter, and a text of
 * hundreds of KB kept on the heap until the next tick. Here a tick only folds its snapshot into the
 * running totals; the text is rendered by the scrape that asks for it (Prometheus scrapes a Linkerd
 * proxy every 10 s) and kept until the next tick changes the totals. The text is the same: the same
 * builder, the same order of sections, the same totals since start (Prometheus counters and
 * histograms are cumulative).
 */
final class ScrapeOnDemand implements MetricReporter {
  private static final String NO_DATA_YET =
      "# The kamon-prometheus module didn't receive any data just yet.\n";
  /** Totals since start: an accumulation period no proxy lives to see. */
  private static final Duration FOREVER = Duration.ofDays(365 * 5);

  private final PrometheusSettings.Generic settings;
  private final TagSet environment;
  private final PeriodSnapshot.Accumulator totals =
      PeriodSnapshot.accumulator(FOREVER, Duration.ZERO, FOREVER);
  /** Guarded by this. Null until the first tick, or when a tick has come since the last render. */
  private String text;
  private boolean ticked;
  /** Guarded by this: texts rendered so far (tests). */
  private int renders;

  /** @param prometheus the {@code kamon.prometheus} section, read once */
  ScrapeOnDemand(Config prometheus) {
    this.settings = PrometheusSettings.readSettings(prometheus);
    this.environment = PrometheusSettings.environmentTags(settings);
  }

  @Override
  public synchronized void reportPeriodSnapshot(PeriodSnapshot snapshot) {
    totals.add(snapshot);
    ticked = true;
    text = null;
  }

  /** The text as of the last tick; rendered at most once per tick, however often scraped. */
  synchronized String scrapeData() {
    if (!ticked) {
      return NO_DATA_YET;
    }
    if (text == null) {
      PeriodSnapshot data = totals.peek();
      ScrapeDataBuilder builder = new ScrapeDataBuilder(settings, environment);
      builder.appendCounters(data.counters());
      builder.appendGauges(data.gauges());
      builder.appendDistributionMetricsAsGauges(
          concat(concat(data.rangeSamplers(), data.histograms()), data.timers()));
      builder.appendHistograms(data.histograms());
      builder.appendHistograms(data.timers());
      builder.appendHistograms(data.rangeSamplers());
      text = builder.build();
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

  @Override
  public void stop() {}

  @Override
  public void reconfigure(Config config) {
    // Settings are read once, at start: nothing reconfigures Kamon in a running proxy.
  }
}
