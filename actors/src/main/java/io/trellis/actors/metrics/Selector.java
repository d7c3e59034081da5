package io.trellis.actors.metrics;

import java.util.Map;
import java.util.TreeMap;

/** A metric name and the label values its series must have ({@code name{k="v",..}}). */
public record Selector(String metric, Map<String, String> equal) {
  public Selector {
    equal = java.util.Collections.unmodifiableMap(new TreeMap<>(equal));
  }

  public static Selector of(String metric) {
    return new Selector(metric, Map.of());
  }

  /** This selector with {@code label="value"} too; a null or empty value adds nothing. */
  public Selector with(String label, String value) {
    if (value == null || value.isEmpty()) {
      return this;
    }
    Map<String, String> m = new TreeMap<>(equal);
    m.put(label, value);
    return new Selector(metric, m);
  }

  /** This selector without a condition on {@code label}. */
  public Selector without(String label) {
    Map<String, String> m = new TreeMap<>(equal);
    m.remove(label);
    return new Selector(metric, m);
  }

  /** The same labels on another metric (a histogram's {@code _bucket} series). */
  public Selector on(String otherMetric) {
    return new Selector(otherMetric, equal);
  }

  /** Whether a series of {@code name} with {@code labels} is selected. */
  public boolean matches(String name, Map<String, String> labels) {
    if (!metric.equals(name)) {
      return false;
    }
    for (Map.Entry<String, String> e : equal.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
