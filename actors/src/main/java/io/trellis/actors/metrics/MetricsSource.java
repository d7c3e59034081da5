package io.trellis.actors.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Where the numbers come from: the three PromQL shapes {@code trellis stat}, {@code edges} and
 * {@code routes} need, as a Linkerd user would write them ({@link PromQl} spells them out).
 */
public interface MetricsSource {
  /** One result: the grouping labels and a value (NaN when undefined, e.g. a quantile of none). */
  record Sample(Map<String, String> labels, double value) {
    public String label(String key) {
      return labels.getOrDefault(key, "");
    }
  }

  /** {@code sum(rate(S[window])) by (by..)}: per-second rate of counters. */
  CompletionStage<List<Sample>> sumRate(Selector s, List<String> by, Duration window);

  /** {@code histogram_quantile(q, sum(rate(S_bucket[window])) by (le, by..))} of a histogram. */
  CompletionStage<List<Sample>> quantile(double q, Selector s, List<String> by, Duration window);

  /** {@code sum(S) by (by..)}: current value of gauges. */
  CompletionStage<List<Sample>> sum(Selector s, List<String> by);

  /** Proxies up per deployment ({@code sum(up) by (deployment)}); empty when unknown. */
  CompletionStage<Map<String, Integer>> proxiesUp(String namespace);

  /** Where the numbers come from, for the user ("prometheus URL", "rolling windows"). */
  String describe();
}
