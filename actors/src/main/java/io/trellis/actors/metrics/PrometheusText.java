package io.trellis.actors.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A parser for the Prometheus text exposition format (version 0.0.4), enough to read a proxy's
 * /metrics as Prometheus would: comments, {@code # TYPE} lines, samples with escaped label
 * values, special values (+Inf, -Inf, NaN) and optional timestamps. Malformed lines fail the
 * parse: a scrape Prometheus would reject must not pass here. The control plane's rolling
 * windows read the proxies' scrapes with it.
 */
public final class PrometheusText {
  /** One sample: metric name, labels in the order written, value. */
  public record Sample(String name, Map<String, String> labels, double value) {
    public String label(String key) {
      return labels.get(key);
    }
  }

  private final List<Sample> samples;
  private final Map<String, String> types;

  private PrometheusText(List<Sample> samples, Map<String, String> types) {
    this.samples = List.copyOf(samples);
    this.types = Map.copyOf(types);
  }

  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    int lineNo = 0;
    for (String line : text.split("\n", -1)) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      if (l.startsWith("#")) {
        String[] parts = l.split("\\s+", 4);
        if (parts.length >= 4 && parts[1].equals("TYPE")) {
          types.put(parts[2], parts[3]);
        }
        continue;
      }
      try {
        samples.add(new LineParser(l).sample());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("line " + lineNo + " is not a sample: " + line, e);
      }
    }
    return new PrometheusText(samples, types);
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The declared type of a metric family (counter, gauge, histogram, ...), or null. */
  public String type(String family) {
    return types.get(family);
  }

  public List<Sample> find(String name, Predicate<Sample> filter) {
    return samples.stream().filter(s -> s.name().equals(name)).filter(filter).toList();
  }

  public double sum(String name, Predicate<Sample> filter) {
    return find(name, filter).stream().mapToDouble(Sample::value).sum();
  }

  /** Reads {@code name{k="v",...} value [timestamp]} left to right. */
  static final class LineParser {
    private final String s;
    private int i;

    LineParser(String s) {
      this.s = s;
    }

    Sample sample() {
      String name = name();
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < s.length() && s.charAt(i) == '{') {
        i++;
        skipSpaces();
        while (s.charAt(i) != '}') {
          String key = name();
          skipSpaces();
          expect('=');
          skipSpaces();
          labels.put(key, quoted());
          skipSpaces();
          if (s.charAt(i) == ',') {
            i++;
            skipSpaces();
          } else if (s.charAt(i) != '}') {
            throw new IllegalArgumentException("expected , or } at " + i);
          }
        }
        i++;
      }
      skipSpaces();
      String[] rest = s.substring(i).trim().split("\\s+");
      if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
        throw new IllegalArgumentException("expected a value and an optional timestamp");
      }
      if (rest.length == 2) {
        Long.parseLong(rest[1]);
      }
      return new Sample(name, labels, value(rest[0]));
    }

    private String name() {
      int start = i;
      while (i < s.length()) {
        char c = s.charAt(i);
        boolean ok = Character.isLetter(c) || c == '_' || c == ':' || (i > start && Character.isDigit(c));
        if (!ok) {
          break;
        }
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException("expected a name at " + i);
      }
      return s.substring(start, i);
    }

    private String quoted() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> out.append('\n');
            case '\\' -> out.append('\\');
            case '"' -> out.append('"');
            default -> throw new IllegalArgumentException("bad escape \\" + e);
          }
        } else {
          out.append(c);
        }
      }
    }

    private void expect(char c) {
      if (s.charAt(i) != c) {
        throw new IllegalArgumentException("expected " + c + " at " + i);
      }
      i++;
    }

    private void skipSpaces() {
      while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
    }

    static double value(String v) {
      return switch (v) {
        case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        case "NaN" -> Double.NaN;
        default -> Double.parseDouble(v);
      };
    }
  }
}
