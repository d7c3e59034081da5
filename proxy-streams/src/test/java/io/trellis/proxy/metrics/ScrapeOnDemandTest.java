package io.trellis.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code /metrics} text is read from the instruments by the scrape itself (no tick), as totals
 * since start; scrapes closer together than the minimum refresh interval share one reading.
 */
class ScrapeOnDemandTest {

  @BeforeAll
  static void kamon() {
    KamonSetup.start(Duration.ZERO, WorkloadLabels.of("scrape-test", "scrape-test"));
  }

  @Test
  void aScrapeReadsTheInstrumentsNowAsTotalsSinceStart() {
    String name = unique();
    ScrapeOnDemand scrape = new ScrapeOnDemand(prometheus(), Duration.ZERO);
    Counter counter = Kamon.counter(name).withoutTags();
    Histogram latency =
        Kamon.histogram(name + "_latency_ms", MeasurementUnit.none()).withoutTags();

    counter.increment(3);
    latency.record(7);
    String first = scrape.scrapeData();
    assertEquals(3.0, value(first, name + "_total"), first);
    assertEquals(1.0, value(first, name + "_latency_ms_count"), first);

    counter.increment(2);
    latency.record(9);
    String second = scrape.scrapeData();
    assertEquals(5.0, value(second, name + "_total"), "counters are totals since start: " + second);
    assertEquals(2.0, value(second, name + "_latency_ms_count"), second);
    assertEquals(16.0, value(second, name + "_latency_ms_sum"), second);
    assertEquals(2, scrape.renders());
  }

  @Test
  void readersDoNotTakeEachOthersCounts() {
    String name = unique();
    ScrapeOnDemand one = new ScrapeOnDemand(prometheus(), Duration.ZERO);
    ScrapeOnDemand other = new ScrapeOnDemand(prometheus(), Duration.ZERO);
    Kamon.counter(name).withoutTags().increment(4);
    assertEquals(4.0, value(one.scrapeData(), name + "_total"));
    assertEquals(4.0, value(other.scrapeData(), name + "_total"), "a reading resets nothing");
    assertEquals(4.0, value(KamonSetup.scrapeData(), name + "_total"), "nor does the proxy's own");
  }

  @Test
  void scrapesWithinTheMinimumRefreshShareOneReading() {
    String name = unique();
    ScrapeOnDemand scrape = new ScrapeOnDemand(prometheus(), Duration.ofHours(1));
    Counter counter = Kamon.counter(name).withoutTags();
    counter.increment(1);
    String first = scrape.scrapeData();
    counter.increment(1);
    assertSame(first, scrape.scrapeData(), "a scrape within the interval: the same text");
    assertEquals(1.0, value(first, name + "_total"));
    assertEquals(1, scrape.renders());

    ScrapeOnDemand fresh = new ScrapeOnDemand(prometheus(), Duration.ZERO);
    String now = fresh.scrapeData();
    assertNotSame(first, now);
    assertEquals(2.0, value(now, name + "_total"));
  }

  private static String unique() {
    return "trellis_scrape_test_" + UUID.randomUUID().toString().replace("-", "");
  }

  private static Config prometheus() {
    return ConfigFactory.load().getConfig("kamon.prometheus");
  }

  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
    assertTrue(m.find(), series + " not in the text:\n" + text);
    return Double.parseDouble(m.group(1));
  }
}
