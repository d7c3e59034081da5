package io.trellis.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.PeriodSnapshot;
import kamon.module.MetricReporter;
import kamon.module.Module;
import org.junit.jupiter.api.Test;

/**
 * The {@code /metrics} text is rendered by the scrape, at most once per tick, from totals since
 * start: Kamon's real ticks (snapshots captured by a second reporter) are fed to the reporter.
 */
class ScrapeOnDemandTest {

  @Test
  void rendersOnScrapeOncePerTickFromTotalsSinceStart() throws Exception {
    KamonSetup.start(Duration.ofMillis(200), WorkloadLabels.of("scrape-test", "scrape-test"));
    String name = "trellis_scrape_test_" + UUID.randomUUID().toString().replace("-", "");
    List<PeriodSnapshot> ticks = new CopyOnWriteArrayList<>();
    Module.Registration capture = Kamon.addReporter("capture-" + name, new Capture(ticks));
    try {
      ScrapeOnDemand scrape = new ScrapeOnDemand(prometheus());
      assertTrue(scrape.scrapeData().startsWith("#"), "before the first tick: a comment");

      Counter counter = Kamon.counter(name).withoutTags();
      counter.increment(3);
      for (PeriodSnapshot tick : awaitTicksWith(ticks, name, 3)) {
        scrape.reportPeriodSnapshot(tick);
      }
      assertEquals(0, scrape.renders(), "a tick alone renders nothing");

      String first = scrape.scrapeData();
      assertEquals(3.0, total(first, name), first);
      assertSame(first, scrape.scrapeData(), "a second scrape before the next tick: same text");
      assertEquals(1, scrape.renders());

      ticks.clear();
      counter.increment(2);
      for (PeriodSnapshot tick : awaitTicksWith(ticks, name, 2)) {
        scrape.reportPeriodSnapshot(tick);
      }
      String second = scrape.scrapeData();
      assertNotSame(first, second);
      assertEquals(5.0, total(second, name), "counters are totals since start: " + second);
      assertEquals(2, scrape.renders());
    } finally {
      capture.cancel();
    }
  }

  private static Config prometheus() {
    return ConfigFactory.load().getConfig("kamon.prometheus");
  }

  /** The ticks captured up to the one carrying {@code increment} for counter {@code name}. */
  private static List<PeriodSnapshot> awaitTicksWith(
      List<PeriodSnapshot> ticks, String name, long increment) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < ticks.size(); i++) {
        if (counted(ticks.get(i), name) == increment) {
          return List.copyOf(ticks.subList(0, i + 1));
        }
      }
      Thread.sleep(20);
    }
    fail("no Kamon tick carried " + increment + " for " + name + " within 20 s");
    return List.of();
  }

  private static long counted(PeriodSnapshot tick, String name) {
    long[] sum = {0};
    tick.counters()
        .foreach(
            metric -> {
              if (metric.name().equals(name)) {
                metric.instruments().foreach(i -> sum[0] += (Long) i.value());
              }
              return null;
            });
    return sum[0];
  }

  private static double total(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "_total(?:\\{[^}]*\\})? ([0-9.]+)$").matcher(text);
    assertTrue(m.find(), name + "_total not in the text");
    return Double.parseDouble(m.group(1));
  }

  /** Keeps Kamon's snapshots. */
  private static final class Capture implements MetricReporter {
    private final List<PeriodSnapshot> ticks;

    Capture(List<PeriodSnapshot> ticks) {
      this.ticks = ticks;
    }

    @Override
    public void reportPeriodSnapshot(PeriodSnapshot snapshot) {
      ticks.add(snapshot);
    }

    @Override
    public void stop() {}

    @Override
    public void reconfigure(Config config) {}
  }
}
