package io.trellis.actors.metrics;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Answers from a Prometheus server: each query is sent as PromQL ({@link PromQl}) to its HTTP API
 * ({@code GET /api/v1/query}), evaluated at the server's now.
 */
public final class PrometheusSource implements MetricsSource {
  private final String url;
  private final Duration timeout;
  private final HttpClient http;

  public PrometheusSource(String url, Duration timeout) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public CompletionStage<List<Sample>> sumRate(Selector s, List<String> by, Duration window) {
    return query(PromQl.sumRate(s, by, window), by);
  }

  @Override
  public CompletionStage<List<Sample>> quantile(
      double q, Selector s, List<String> by, Duration window) {
    return query(PromQl.quantile(q, s, by, window), by);
  }

  @Override
  public CompletionStage<List<Sample>> sum(Selector s, List<String> by) {
    return query(PromQl.sum(s, by), by);
  }

  @Override
  public CompletionStage<Map<String, Integer>> proxiesUp(String namespace) {
    return query(PromQl.proxiesUp(namespace), List.of("deployment"))
        .thenApply(samples -> {
          Map<String, Integer> up = new HashMap<>();
          samples.forEach(s -> up.put(s.label("deployment"), (int) s.value()));
          return up;
        });
  }

  @Override
  public String describe() {
    return "prometheus " + url;
  }

  /** Runs one instant query; a failure names the server and the query. */
  CompletionStage<List<Sample>> query(String promQl, List<String> by) {
    URI uri = URI.create(
        url + "/api/v1/query?query=" + URLEncoder.encode(promQl, StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, failure) -> {
          if (failure != null) {
            throw new MetricsException("prometheus at " + url + " is unreachable: "
                + (failure.getCause() != null ? failure.getCause() : failure));
          }
          if (response.statusCode() != 200) {
            throw new MetricsException("prometheus at " + url + " answered "
                + response.statusCode() + " to " + promQl + ": " + response.body());
          }
          try {
            return vector(response.body(), by);
          } catch (RuntimeException e) {
            throw new MetricsException("prometheus at " + url + ": unexpected answer to " + promQl
                + ": " + e.getMessage());
          }
        });
  }

  @SuppressWarnings("unchecked")
  static List<Sample> vector(String body, List<String> by) {
    Map<String, Object> root = (Map<String, Object>) Json.parse(body);
    if (!"success".equals(root.get("status"))) {
      throw new IllegalArgumentException("status " + root.get("status") + ": " + root.get("error"));
    }
    Map<String, Object> data = (Map<String, Object>) root.get("data");
    List<Sample> out = new ArrayList<>();
    for (Object o : (List<Object>) data.get("result")) {
      Map<String, Object> r = (Map<String, Object>) o;
      Map<String, String> labels = (Map<String, String>) (Map<?, ?>) r.get("metric");
      List<Object> value = (List<Object>) r.get("value");
      double v = PrometheusText.LineParser.value((String) value.get(1));
      out.add(new Sample(PromQl.only(labels, by), v));
    }
    return out;
  }
}
