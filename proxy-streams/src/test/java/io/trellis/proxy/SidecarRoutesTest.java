package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.RequestMatch;
import io.trellis.config.ResponseMatch;
import io.trellis.config.ServiceProfile;
import io.trellis.config.WorkloadConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A ServiceProfile through real sidecars: per-route metrics on both sides, retries on the client
 * side (the caller sees success, the server every attempt), a route timeout answered 504, response
 * classes, and [DEFAULT] for unmatched traffic.
 */
class SidecarRoutesTest extends SidecarTestKit {
  static final String DST = "routes-web.demo.svc.cluster.local:80";

  Sidecar client;
  Sidecar server;

  @BeforeAll
  void startMesh() {
    mesh.service("routes-web", 80);
    mesh.profile(
        new ServiceProfile(
            "routes-web.demo.svc.cluster.local",
            "demo",
            List.of(
                new ServiceProfile.Route(
                    "GET /flaky", getOf("/flaky"), List.of(), true, null),
                new ServiceProfile.Route(
                    "GET /sleep", getOf("/sleep/.*"), List.of(), false, Duration.ofMillis(300)),
                new ServiceProfile.Route(
                    "GET /status",
                    getOf("/status/\\d+"),
                    List.of(new ServiceProfile.ResponseClass(new ResponseMatch.Status(404, 404), true)),
                    false,
                    null))));
    client = sidecar(mesh.workload("rclient"));
    WorkloadConfig web = mesh.workload("rweb", "routes-web");
    server = sidecar(web);
    app(web);
  }

  static RequestMatch getOf(String path) {
    return new RequestMatch.All(
        List.of(new RequestMatch.Method("GET"), RequestMatch.PathRegex.of(path)));
  }

  HttpResponse get(String path) {
    return h1(client.outboundAddress(), HttpRequest.GET("http://routes-web" + path));
  }

  PrometheusText scrape(Sidecar sidecar) {
    var admin = sidecar.adminAddress();
    return PrometheusText.parse(
        body(h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/metrics"))));
  }

  /** Waits until the sum of {@code name} with {@code labels} reaches {@code want}. */
  double awaitSum(Sidecar sidecar, String name, Map<String, String> labels, double want)
      throws InterruptedException {
    return await(
        name + labels + " = " + want,
        () -> {
          double sum =
              scrape(sidecar).find(name, labels).stream()
                  .mapToDouble(PrometheusText.Sample::value)
                  .sum();
          return sum >= want ? Optional.of(sum) : Optional.empty();
        });
  }

  @Test
  void retriedRouteLooksHealthyToTheCallerWhileEveryAttemptCounts() throws Exception {
    for (int i = 0; i < 10; i++) {
      HttpResponse r = get("/flaky");
      body(r);
      assertEquals(200, r.status().intValue(), "the retry answered");
    }
    Map<String, String> route = Map.of("direction", "outbound", "dst", DST, "rt_route", "GET /flaky");
    assertEquals(10, awaitSum(client, "route_request_total", route, 10));
    assertEquals(20, awaitSum(client, "route_actual_request_total", route, 20));
    Map<String, String> success = new java.util.HashMap<>(route);
    success.put("classification", "success");
    assertEquals(10, awaitSum(client, "route_response_total", success, 10));
    Map<String, String> failedAttempts = new java.util.HashMap<>(route);
    failedAttempts.put("classification", "failure");
    failedAttempts.put("status_code", "500");
    assertEquals(10, awaitSum(client, "route_actual_response_total", failedAttempts, 10));
    PrometheusText text = scrape(client);
    assertTrue(
        text.find("route_response_total",
                Map.of("direction", "outbound", "rt_route", "GET /flaky", "classification", "failure"))
            .stream().allMatch(s -> s.value() == 0),
        "the caller saw no failure");
    // The server side sees every attempt on the same route.
    assertEquals(
        20,
        awaitSum(server, "route_request_total",
            Map.of("direction", "inbound", "dst", DST, "rt_route", "GET /flaky"), 20));
  }

  @Test
  void routeTimeoutAnswers504NamingRouteAndTimeout() {
    HttpResponse r = get("/sleep/3000");
    String body = body(r);
    assertEquals(504, r.status().intValue());
    assertTrue(body.contains("route GET /sleep") && body.contains("300ms"), body);
    assertEquals(Optional.of(body.trim()), header(r, "l5d-proxy-error"));
  }

  @Test
  void eachRequestOfAKeepAliveConnectionGetsItsOwnRouteTimeout() throws Exception {
    var out = client.outboundAddress();
    try (java.net.Socket s = new java.net.Socket(out.getAddress(), out.getPort())) {
      s.setSoTimeout((int) AWAIT.toMillis());
      var in = new java.io.BufferedInputStream(s.getInputStream());
      // a quick request first (the connection's timer is armed for its deadline), then a slow
      // one on the same connection: it is answered 504 at its own deadline, not left waiting
      for (String path : List.of("/status/200", "/sleep/3000")) {
        s.getOutputStream()
            .write(
                ("GET " + path + " HTTP/1.1\r\nHost: routes-web\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
          int b = in.read();
          assertTrue(b >= 0, "closed after " + head);
          head.append((char) b);
        }
        String status = head.substring(0, head.indexOf("\r\n"));
        assertEquals(
            path.startsWith("/sleep") ? "HTTP/1.1 504 Gateway Timeout" : "HTTP/1.1 200 OK",
            status,
            head.toString());
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
          if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        in.readNBytes(length);
      }
    }
  }

  @Test
  void timeoutCountsAsAFailureOfTheRoute() throws Exception {
    body(get("/sleep/2000"));
    awaitSum(
        client,
        "route_response_total",
        Map.of("direction", "outbound", "rt_route", "GET /sleep", "status_code", "504",
            "classification", "failure"),
        1);
  }

  @Test
  void responseClassesAndDefaultRoute() throws Exception {
    body(get("/status/404"));
    body(get("/elsewhere"));
    awaitSum(
        client,
        "route_response_total",
        Map.of("rt_route", "GET /status", "status_code", "404", "classification", "failure"),
        1);
    awaitSum(
        client,
        "route_response_total",
        Map.of("rt_route", "[DEFAULT]", "dst", DST, "status_code", "200", "classification", "success"),
        1);
    awaitSum(
        server,
        "route_response_total",
        Map.of("direction", "inbound", "rt_route", "[DEFAULT]", "classification", "success"),
        1);
    PrometheusText text = scrape(client);
    assertTrue(text.types().containsKey("route_response_latency_ms"), text.types().toString());
    assertTrue(
        !text.find("route_response_latency_ms_bucket",
            Map.of("rt_route", "GET /status", "le", "50000.0")).isEmpty()
        || !text.find("route_response_latency_ms_bucket",
            Map.of("rt_route", "GET /status", "le", "50000")).isEmpty(),
        "Linkerd's latency buckets");
  }
}
