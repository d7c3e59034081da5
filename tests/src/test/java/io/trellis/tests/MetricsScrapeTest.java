package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import io.trellis.actors.metrics.PrometheusText;
import io.trellis.actors.metrics.PrometheusText.Sample;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * After known traffic, both proxies' admin /metrics parse as Prometheus text and carry
 * Linkerd's series: request_total, response_total and the response_latency_ms histogram,
 * labelled by direction, authority, status_code and classification (what Flagger queries).
 */
class MetricsScrapeTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static final int OK = 6;
  private static final int FAILED = 3;
  private static final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void sendKnownTraffic() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    for (int i = 0; i < OK + FAILED; i++) {
      String path = i < OK ? "/whoami" : "/status/500";
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(echo.uri(path)).header("Host", echo.authority()).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(i < OK ? 200 : 500, r.statusCode(), r.body());
    }
  }

  @Test
  void outboundSeriesCountTheTraffic() {
    PrometheusText m = scrapeUntil("client", "outbound");
    assertSeries(m, "outbound");
    // Outbound series name the destination service, as Linkerd's dst_* labels do.
    assertFalse(m.find("response_total", outbound(s -> true)).isEmpty());
    assertTrue(
        m.find("request_total", outbound(s -> true)).stream()
            .allMatch(s -> MeshFixture.SERVICE.equals(s.label("dst_service"))),
        () -> "dst_service on " + m.find("request_total", outbound(s -> true)));
  }

  @Test
  void inboundSeriesCountTheTraffic() {
    assertSeries(scrapeUntil("server", "inbound"), "inbound");
  }

  @Test
  void adminAnswersLiveAndReady() throws Exception {
    for (String workload : List.of("client", "server")) {
      for (String path : List.of("/live", "/ready")) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(mesh.proxy(workload).adminUri(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), workload + " " + path);
      }
    }
  }

  private static void assertSeries(PrometheusText m, String direction) {
    Predicate<Sample> mine = s -> direction.equals(s.label("direction")) && isEchoAuthority(s);
    assertEquals(OK + FAILED, m.sum("request_total", mine), () -> dump(m, direction));
    assertEquals(
        OK,
        m.sum("response_total", mine.and(s -> "200".equals(s.label("status_code")) && "success".equals(s.label("classification")))),
        () -> dump(m, direction));
    assertEquals(
        FAILED,
        m.sum("response_total", mine.and(s -> "500".equals(s.label("status_code")) && "failure".equals(s.label("classification")))),
        () -> dump(m, direction));
    // The histogram: cumulative buckets in ms ending at +Inf, which equals _count.
    List<Sample> buckets = m.find("response_latency_ms_bucket", mine);
    assertFalse(buckets.isEmpty(), () -> dump(m, direction));
    Map<Double, Double> byLe = new TreeMap<>();
    buckets.forEach(b -> byLe.merge(le(b), b.value(), Double::sum));
    double previous = 0;
    for (double count : byLe.values()) {
      assertTrue(count >= previous, () -> "buckets not cumulative: " + byLe);
      previous = count;
    }
    assertEquals(OK + FAILED, byLe.get(Double.POSITIVE_INFINITY), () -> "+Inf bucket: " + byLe);
    assertEquals(OK + FAILED, m.sum("response_latency_ms_count", mine), () -> dump(m, direction));
    assertTrue(byLe.containsKey(1.0) && byLe.containsKey(10000.0), () -> "Linkerd's ms buckets: " + byLe.keySet());
    assertTrue(m.sum("response_latency_ms_sum", mine) >= 0);
  }

  private static boolean isEchoAuthority(Sample s) {
    String authority = s.label("authority");
    return authority != null && authority.startsWith(MeshFixture.SERVICE);
  }

  private static Predicate<Sample> outbound(Predicate<Sample> p) {
    return p.and(s -> "outbound".equals(s.label("direction")) && isEchoAuthority(s));
  }

  private static double le(Sample bucket) {
    String le = bucket.label("le");
    return "+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  /** Metrics may be published on a reporting tick: scrape until the responses are all counted. */
  private static PrometheusText scrapeUntil(String workload, String direction) {
    PrometheusText[] last = new PrometheusText[1];
    Deadline.in(Duration.ofSeconds(30))
        .await(
            workload + " /metrics counts " + (OK + FAILED) + " " + direction + " responses",
            () -> {
              last[0] = PrometheusText.parse(scrape(workload));
              return last[0].sum("response_total", s -> direction.equals(s.label("direction")) && isEchoAuthority(s))
                  >= OK + FAILED;
            },
            () -> last[0] == null ? "no scrape" : dump(last[0], direction));
    return last[0];
  }

  private static String scrape(String workload) {
    try {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(mesh.proxy(workload).adminUri("/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      return r.body();
    } catch (IOException e) {
      throw new AssertionError("scraping " + workload, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String dump(PrometheusText m, String direction) {
    return m.samples().stream()
        .filter(s -> s.name().startsWith("re") && direction.equals(s.label("direction")))
        .sorted(Comparator.comparing(Sample::name))
        .map(s -> s.name() + s.labels() + " " + s.value())
        .collect(Collectors.joining("\n"));
  }
}
