package io.trellis.proxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A minimal parser of the Prometheus text format, enough to check names, labels and values. */
record PrometheusText(List<Sample> samples, Map<String, String> types) {

  record Sample(String name, Map<String, String> labels, double value) {
    boolean has(Map<String, String> wanted) {
      return labels.entrySet().containsAll(wanted.entrySet());
    }
  }

  static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.substring(7).split(" ");
        types.put(parts[0], parts[1]);
      }
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0) {
        String body = line.substring(brace + 1, line.lastIndexOf('}'));
        int i = 0;
        while (i < body.length()) {
          int eq = body.indexOf('=', i);
          String key = body.substring(i, eq);
          int end = eq + 2;
          StringBuilder value = new StringBuilder();
          while (body.charAt(end) != '"') {
            if (body.charAt(end) == '\\') {
              end++;
            }
            value.append(body.charAt(end++));
          }
          labels.put(key, value.toString());
          i = end + 1;
          if (i < body.length() && body.charAt(i) == ',') {
            i++;
          }
        }
      }
      samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
    return new PrometheusText(samples, types);
  }

  /** Samples of {@code name} with at least {@code labels}. */
  List<Sample> find(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.has(labels)).toList();
  }

  /**
   * Samples of {@code name} with exactly {@code labels} (besides a histogram's {@code le} and the
   * proxy's own namespace, deployment and pod, which every series carries).
   */
  List<Sample> exact(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name))
        .filter(
            s -> {
              Map<String, String> own = new LinkedHashMap<>(s.labels());
              own.remove("le");
              own.keySet().removeAll(java.util.List.of("namespace", "deployment", "pod"));
              return own.equals(labels);
            })
        .toList();
  }
}
