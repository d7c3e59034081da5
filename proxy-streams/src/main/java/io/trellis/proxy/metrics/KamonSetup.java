package io.trellis.proxy.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import kamon.Kamon;

/**
 * Kamon is one instance per JVM: it is started once, with Linkerd's latency buckets for {@code
 * response_latency_ms}, and the admin listener serves the Prometheus text of {@link
 * ScrapeOnDemand}, which reads the instruments when scraped. Kamon's periodic tick, its own
 * reporter module (which renders the text on every tick) and its embedded HTTP server are off: a
 * proxy does no metrics work between scrapes.
 *
 * <p>Every series carries the proxy's {@link WorkloadLabels} as Kamon environment tags, whatever
 * instrument records it (HTTP, per-route, TCP).
 */
public final class KamonSetup {
  /** Linkerd's response_latency_ms buckets, in milliseconds (+Inf is implied). */
  public static final String LATENCY_BUCKETS =
      "1,2,3,4,5,10,20,30,40,50,100,200,300,400,500,1000,2000,3000,4000,5000,"
          + "10000,20000,30000,40000,50000";

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static volatile ScrapeOnDemand scrape;

  private KamonSetup() {}

  /**
   * Kamon's metrics and spans ticks: never, in practice. Nothing reports on a tick, and a metrics
   * tick would reset the instruments, whose totals since start {@link ScrapeOnDemand} reads.
   */
  private static final String NO_TICK = "3650d";

  /**
   * Starts Kamon unless this JVM already did; the first caller's {@code minRefresh} (scrapes
   * closer together than this share one reading) and labels win. One proxy runs per JVM, except
   * in tests.
   */
  public static void start(Duration minRefresh, WorkloadLabels labels) {
    if (!STARTED.compareAndSet(false, true)) {
      return;
    }
    Config overlay =
        ConfigFactory.parseString(
            "kamon.init.hide-banner = yes\n"
                // The scheduler only samples range-sampler instruments, which the proxy has none
                // of: one thread instead of two (each thread's stack counts in a sidecar's RSS).
                + "kamon.scheduler-pool-size = 1\n"
                + "kamon.metric.tick-interval = "
                + NO_TICK
                + "\n"
                + "kamon.metric.optimistic-tick-alignment = no\n"
                // The proxy makes no Kamon spans. Kamon's default adaptive sampler still re-plans
                // every second on the scheduler thread, 0.1-0.4 ms on the proxy's core each time
                // (perf sched, bench/RESULTS.md session 8); with no spans, nothing flushes them.
                + "kamon.trace.sampler = never\n"
                + "kamon.trace.tick-interval = "
                + NO_TICK
                + "\n"
                + "kamon.prometheus.start-embedded-http-server = no\n"
                + "kamon.prometheus.include-environment-tags = yes\n"
                + "kamon.environment.tags {\n"
                + "  namespace = "
                + quoted(labels.namespace())
                + "\n  deployment = "
                + quoted(labels.deployment())
                + "\n  pod = "
                + quoted(labels.pod())
                + "\n}\n"
                + "kamon.prometheus.buckets.custom {\n"
                + "  \""
                + HttpMetrics.LATENCY
                + "\" = ["
                + LATENCY_BUCKETS
                + "]\n"
                + "  \""
                + RouteMetrics.LATENCY
                + "\" = ["
                + LATENCY_BUCKETS
                + "]\n"
                + "}\n"
                + "kamon.modules.prometheus-reporter.enabled = no\n"
                + "kamon.modules.pushgateway-reporter.enabled = no\n");
    Config config = overlay.withFallback(ConfigFactory.load());
    Kamon.initWithoutAttaching(config);
    scrape = new ScrapeOnDemand(config.getConfig("kamon.prometheus"), minRefresh);
  }

  private static String quoted(String value) {
    return com.typesafe.config.ConfigUtil.quoteString(value);
  }

  /**
   * The Prometheus text: the instruments' totals now (or as of a reading younger than the
   * minimum refresh interval); empty before Kamon is started.
   */
  public static String scrapeData() {
    ScrapeOnDemand reading = scrape;
    return reading == null ? "" : reading.scrapeData();
  }
}
