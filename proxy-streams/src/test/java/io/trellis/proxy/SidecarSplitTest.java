package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.Fault;
import io.trellis.config.HeaderRoute;
import io.trellis.config.OpaquePorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.TrafficSplit;
import io.trellis.config.WorkloadConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A TrafficSplit, header routing and fault injection through real sidecars and real backends: the
 * apex's traffic is shared by weight (2,000 requests, within 5 percentage points: over 4.9 standard
 * deviations, so it cannot flake in practice), a header rule overrides the split, new weights apply
 * to the next request, outbound metrics name the leaf as {@code dst_service}, and an injected abort
 * is answered and counted as a failure.
 */
class SidecarSplitTest extends SidecarTestKit {
  Sidecar client;

  @BeforeAll
  void startMesh() {
    mesh.service(new ServiceConfig("split-web", 80, List.of(), OpaquePorts.DEFAULT, null,
        List.of(new HeaderRoute(List.of(HeaderRoute.HeaderMatch.exact("x-canary", "true")),
            "split-v2")),
        Map.of()));
    mesh.service("split-v2", 80);
    mesh.service(new ServiceConfig("split-faulty", 80, List.of(), OpaquePorts.DEFAULT, null,
        List.of(), Map.of("[DEFAULT]", new Fault(new Fault.Abort(100, 503, 14), null))));
    mesh.split(new TrafficSplit("web-split", "demo", "split-web", List.of(
        new TrafficSplit.Backend("split-web", 700), new TrafficSplit.Backend("split-v2", 300))));
    client = sidecar(mesh.workload("sclient"));
    for (WorkloadConfig w : List.of(mesh.workload("sweb1", "split-web"),
        mesh.workload("sweb2", "split-v2"), mesh.workload("sfaulty", "split-faulty"))) {
      sidecar(w);
      app(w);
    }
  }

  /** Which workload answered: TestApp's body starts with its name. */
  String answeredBy(HttpRequest request) {
    HttpResponse r = h1(client.outboundAddress(), request);
    String body = body(r);
    assertEquals(200, r.status().intValue(), body);
    return body.substring(0, body.indexOf(' '));
  }

  Map<String, Integer> spread(int n, HttpRequest request) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(answeredBy(request), 1, Integer::sum);
    }
    return counts;
  }

  PrometheusText scrape(Sidecar sidecar) {
    var admin = sidecar.adminAddress();
    return PrometheusText.parse(
        body(h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/metrics"))));
  }

  double sum(Sidecar sidecar, String name, Map<String, String> labels) {
    return scrape(sidecar).find(name, labels).stream()
        .mapToDouble(PrometheusText.Sample::value).sum();
  }

  @Test
  void weightsShareTheApexTrafficAndMetricsNameTheLeaf() throws Exception {
    int n = 2_000;
    Map<String, Integer> counts = spread(n, HttpRequest.GET("http://split-web/"));
    double v1 = 100.0 * counts.getOrDefault("sweb1", 0) / n;
    double v2 = 100.0 * counts.getOrDefault("sweb2", 0) / n;
    assertTrue(Math.abs(v1 - 70) <= 5 && Math.abs(v2 - 30) <= 5, "70/30 expected: " + counts);

    // dst_service is the leaf; the authority stays the apex.
    int toV2 = counts.getOrDefault("sweb2", 0);
    await("response_total to the leaf split-v2 = " + toV2, () -> {
      double got = sum(client, "response_total", Map.of("direction", "outbound",
          "authority", "split-web", "dst_service", "split-v2", "classification", "success"));
      return got >= toV2 ? Optional.of(got) : Optional.empty();
    });
  }

  @Test
  void headerRuleOverridesTheSplit() {
    HttpRequest canary = HttpRequest.GET("http://split-web/")
        .addHeader(RawHeader.create("X-Canary", "true"));
    assertEquals(Map.of("sweb2", 50), spread(50, canary));
  }

  @Test
  void newWeightsApplyToTheNextRequest() {
    try {
      mesh.split(new TrafficSplit("web-split", "demo", "split-web", List.of(
          new TrafficSplit.Backend("split-web", 0), new TrafficSplit.Backend("split-v2", 1000))));
      assertEquals(Map.of("sweb2", 100), spread(100, HttpRequest.GET("http://split-web/")));
      // all weights zero: the apex keeps its traffic
      mesh.split(new TrafficSplit("web-split", "demo", "split-web", List.of(
          new TrafficSplit.Backend("split-web", 0), new TrafficSplit.Backend("split-v2", 0))));
      assertEquals(Map.of("sweb1", 100), spread(100, HttpRequest.GET("http://split-web/")));
    } finally {
      mesh.split(new TrafficSplit("web-split", "demo", "split-web", List.of(
          new TrafficSplit.Backend("split-web", 700), new TrafficSplit.Backend("split-v2", 300))));
    }
  }

  @Test
  void injectedAbortIsAnsweredAndCountedAsAFailure() throws Exception {
    for (int i = 0; i < 5; i++) {
      HttpResponse r = h1(client.outboundAddress(), HttpRequest.GET("http://split-faulty/"));
      String body = body(r);
      assertEquals(503, r.status().intValue(), body);
      assertTrue(body.contains("fault injected"), body);
    }
    await("route_response_total failures", () -> {
      double got = sum(client, "route_response_total", Map.of("direction", "outbound",
          "rt_route", "[DEFAULT]", "dst_service", "split-faulty", "status_code", "503",
          "classification", "failure"));
      return got >= 5 ? Optional.of(got) : Optional.empty();
    });
    await("response_total failures", () -> {
      double got = sum(client, "response_total", Map.of("direction", "outbound",
          "authority", "split-faulty", "status_code", "503", "classification", "failure"));
      return got >= 5 ? Optional.of(got) : Optional.empty();
    });
  }
}
