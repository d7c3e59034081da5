package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Linkerd's metric names and labels, scraped from the admin listener as Prometheus would. */
class SidecarMetricsTest extends SidecarTestKit {
  static final List<String> LINKERD_BUCKETS =
      List.of(
          "1", "2", "3", "4", "5", "10", "20", "30", "40", "50", "100", "200", "300", "400", "500",
          "1000", "2000", "3000", "4000", "5000", "10000", "20000", "30000", "40000", "50000",
          "+Inf");

  Sidecar client;
  Sidecar server;

  @BeforeAll
  void startMesh() {
    mesh.service("metrics-web", 80).service("metrics-down", 80);
    client = sidecar(mesh.workload("mclient"));
    WorkloadConfig web = mesh.workload("mweb", "metrics-web");
    server = sidecar(web);
    app(web);
    sidecar(mesh.workload("mdown", "metrics-down"));

    body(h1(client.outboundAddress(), HttpRequest.GET("http://metrics-web/")));
    body(h1(client.outboundAddress(), HttpRequest.GET("http://metrics-web/status/503")));
    body(h1(client.outboundAddress(), HttpRequest.GET("http://metrics-down/")));
    grpc("/grpc");
    grpc("/grpc-fail");
  }

  private void grpc(String path) {
    HttpResponse r =
        h2(
            client.outboundAddress(),
            HttpRequest.POST("http://metrics-web" + path)
                .withEntity(HttpEntities.create(Grpc.CONTENT_TYPE, Grpc.frame("m"))));
    body(r);
  }

  PrometheusText scrape(Sidecar sidecar) {
    var admin = sidecar.adminAddress();
    return PrometheusText.parse(
        body(h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/metrics"))));
  }

  /** Waits until the scrape has the wanted series (recorded when the exchange ends). */
  PrometheusText.Sample sample(Sidecar sidecar, String name, Map<String, String> labels)
      throws InterruptedException {
    return await(
        name + labels,
        () -> {
          List<PrometheusText.Sample> found = scrape(sidecar).exact(name, labels);
          return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
        });
  }

  /** Waits until the series has {@code value} (outcomes are recorded without waiting). */
  void expectValue(Sidecar sidecar, String name, Map<String, String> labels, double value)
      throws InterruptedException {
    try {
      await(
          name + labels + " = " + value,
          () -> {
            List<PrometheusText.Sample> found = scrape(sidecar).exact(name, labels);
            return found.size() == 1 && found.get(0).value() == value
                ? Optional.of(true)
                : Optional.empty();
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; found " + scrape(sidecar).find(name, Map.of()));
    }
  }

  static Map<String, String> outbound(String... more) {
    Map<String, String> m = new HashMap<>();
    m.put("direction", "outbound");
    m.put("authority", "metrics-web");
    m.put("tls", "disabled");
    m.put("dst_service", "metrics-web");
    m.put("dst_namespace", "demo");
    m.put("dst_deployment", "mweb");
    for (int i = 0; i < more.length; i += 2) {
      m.put(more[i], more[i + 1]);
    }
    return m;
  }

  @Test
  void requestAndResponseCountersCarryLinkerdLabels() throws InterruptedException {
    // Two HTTP/1.1 requests and two gRPC calls went to metrics-web.
    expectValue(client, "request_total", outbound(), 4.0);
    expectValue(
        client, "response_total", outbound("status_code", "200", "classification", "success"), 1.0);
    expectValue(
        client, "response_total", outbound("status_code", "503", "classification", "failure"), 1.0);
    PrometheusText text = scrape(client);
    assertEquals("counter", text.types().get("request_total"));
    assertEquals("counter", text.types().get("response_total"));
    assertEquals("histogram", text.types().get("response_latency_ms"));
  }

  @Test
  void grpcStatusComesFromTrailersAndClassifies() throws InterruptedException {
    expectValue(
        client,
        "response_total",
        outbound("status_code", "200", "grpc_status", "0", "classification", "success"),
        1.0);
    expectValue(
        client,
        "response_total",
        outbound("status_code", "200", "grpc_status", "5", "classification", "failure"),
        1.0);
  }

  @Test
  void proxyErrorsCountAsFailedResponses() throws InterruptedException {
    Map<String, String> labels =
        outbound(
            "status_code",
            "502",
            "classification",
            "failure",
            "authority",
            "metrics-down",
            "dst_service",
            "metrics-down",
            "dst_deployment",
            "mdown");
    expectValue(client, "response_total", labels, 1.0);
  }

  @Test
  void latencyHistogramHasLinkerdBuckets() throws InterruptedException {
    Map<String, String> labels = outbound("status_code", "200");
    sample(client, "response_latency_ms_count", labels);
    List<PrometheusText.Sample> buckets =
        scrape(client).exact("response_latency_ms_bucket", labels);
    List<String> les =
        buckets.stream().map(s -> s.labels().get("le").replaceAll("\\.0$", "")).toList();
    assertEquals(LINKERD_BUCKETS, les);
    assertEquals(1, scrape(client).exact("response_latency_ms_sum", labels).size());
  }

  @Test
  void inboundSeriesHaveNoDestinationLabels() throws InterruptedException {
    Map<String, String> inbound =
        Map.of("direction", "inbound", "authority", "metrics-web", "tls", "disabled");
    expectValue(server, "request_total", inbound, 4.0);
    PrometheusText.Sample requests = sample(server, "request_total", inbound);
    assertFalse(requests.labels().containsKey("dst_service"));
  }

  @Test
  void noHalfTaggedSeries() throws InterruptedException {
    sample(client, "request_total", outbound());
    for (PrometheusText.Sample s : scrape(client).samples()) {
      if (s.name().startsWith("request_total") || s.name().startsWith("response_")) {
        assertTrue(
            s.labels().keySet().containsAll(List.of("direction", "authority", "tls")),
            "series without the base labels: " + s);
      }
    }
  }

  @Test
  void readyAndLive() {
    var admin = client.adminAddress();
    assertEquals(
        200,
        h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/ready"))
            .status()
            .intValue());
    assertEquals(
        200,
        h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/live"))
            .status()
            .intValue());
  }

  @Test
  void everySeriesCarriesTheWorkloadLabelsAndListenersCountConnections()
      throws InterruptedException {
    // Kamon is one per JVM: the labels are those of the first sidecar this JVM started.
    Map<String, String> outbound = Map.of("direction", "outbound", "peer", "src", "tls", "disabled");
    PrometheusText.Sample opened = sample(client, "tcp_open_total", outbound);
    assertTrue(opened.value() >= 1, "outbound connections accepted: " + opened);
    sample(client, "tcp_open_connections", outbound);
    sample(
        client,
        "tcp_close_total",
        Map.of("direction", "inbound", "peer", "src", "tls", "disabled", "errno", ""));
    PrometheusText scrape = scrape(client);
    List<PrometheusText.Sample> all = scrape.find("response_total", Map.of());
    assertFalse(all.isEmpty());
    for (PrometheusText.Sample s : all) {
      for (String label : List.of("namespace", "deployment", "pod")) {
        assertFalse(
            s.labels().getOrDefault(label, "").isEmpty(), () -> s + " has no " + label + " label");
      }
      assertTrue(
          s.labels().get("pod").startsWith(s.labels().get("deployment") + "-"),
          () -> "pod is the workload name and a process id: " + s);
    }
  }
}
