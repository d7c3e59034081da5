package io.trellis.proxy.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import kamon.Kamon;
import kamon.prometheus.PrometheusReporter;
import scala.Option;

/**
 * Kamon is one instance per JVM: it is started once, with the Prometheus reporter as a module whose
 * embedded HTTP server is off (the admin listener serves its scrape text instead) and with
 * Linkerd's latency buckets for {@code response_latency_ms}.
 */
public final class KamonSetup {
  /** Linkerd's response_latency_ms buckets, in milliseconds (+Inf is implied). */
  public static final String LATENCY_BUCKETS =
      "1,2,3,4,5,10,20,30,40,50,100,200,300,400,500,1000,2000,3000,4000,5000,"
          + "10000,20000,30000,40000,50000";

  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private KamonSetup() {}

  /**
   * Starts Kamon unless this JVM already did; the first caller's tick interval wins (the scrape
   * text is refreshed once per tick).
   */
  public static void start(Duration tickInterval) {
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
                + tickInterval.toMillis()
                + "ms\n"
                + "kamon.prometheus.start-embedded-http-server = no\n"
                + "kamon.prometheus.include-environment-tags = no\n"
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
                + "kamon.modules.prometheus-reporter.enabled = yes\n"
                + "kamon.modules.pushgateway-reporter.enabled = no\n");
    Kamon.initWithoutAttaching(overlay.withFallback(ConfigFactory.load()));
  }

  /** The Prometheus text as of the last tick; empty before the first one. */
  public static String scrapeData() {
    Option<String> data = PrometheusReporter.latestScrapeData();
    return data.isDefined() ? data.get() : "";
  }
}
