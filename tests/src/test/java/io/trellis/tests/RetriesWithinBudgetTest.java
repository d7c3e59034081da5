package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.SteadyTraffic;
import io.trellis.tests.mesh.Target;
import io.trellis.actors.metrics.PrometheusText;
import io.trellis.actors.metrics.PrometheusText.Sample;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A backend that fails 20% of its requests at random, behind the workshop's retry profile (a
 * retryable route, retryBudget 0.2 / 10 / 10s), with real proxy processes: at 20 rps the client
 * sees at least 99% success; at 200 rps the retries the client's proxy sends (actual - effective
 * requests, read from its /metrics) stay within the budget: 20% of the requests plus 10 per second.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetriesWithinBudgetTest {
  static final String PROFILE =
      """
      apiVersion: linkerd.io/v1alpha2
      kind: ServiceProfile
      metadata:
        name: echo-svc.e2e.svc.cluster.local
        namespace: e2e
      spec:
        routes:
        - name: GET /flaky
          condition:
            method: GET
            pathRegex: /flaky
          isRetryable: true
        retryBudget:
          retryRatio: 0.2
          minRetriesPerSecond: 10
          ttl: 10s
      """;

  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(
          MeshFixture.clientAndServer().resource("profiles/echo-svc.yaml", PROFILE));

  static final Predicate<Sample> FLAKY_OUTBOUND =
      s -> "outbound".equals(s.label("direction")) && "GET /flaky".equals(s.label("rt_route"));

  static Target echo;

  @BeforeAll
  static void warmUp() {
    mesh.requireProxies();
    echo = mesh.target("client", MeshFixture.SERVICE);
    SteadyTraffic.warmUp(mesh, echo, List.of("server"));
  }

  /** route_request_total (what callers saw) and route_actual_request_total (attempts). */
  record Counts(double effective, double actual) {}

  static Counts counts() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(mesh.proxy("client").adminUri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    PrometheusText m = PrometheusText.parse(r.body());
    return new Counts(
        m.sum("route_request_total", FLAKY_OUTBOUND),
        m.sum("route_actual_request_total", FLAKY_OUTBOUND));
  }

  /** The proxy publishes on a 1 s tick: waits until it has counted every request sent so far. */
  static Counts countsOnceCounted(double requests) {
    Counts[] last = {null};
    Deadline.in(Duration.ofSeconds(30))
        .await(
            "client proxy counts " + requests + " requests on GET /flaky",
            () -> {
              try {
                last[0] = counts();
              } catch (Exception e) {
                return false;
              }
              return last[0].effective() >= requests;
            },
            () -> "last: " + last[0]);
    return last[0];
  }

  static double sentSoFar;

  /** Runs {@code workers} x {@code rate} rps of GET /flaky for {@code seconds}. */
  static SteadyTraffic run(int workers, int rate, int seconds) throws InterruptedException {
    SteadyTraffic traffic =
        SteadyTraffic.start(echo, "/flaky", workers, rate, Duration.ofSeconds(15), false);
    long target = (long) workers * rate * seconds;
    Deadline.in(Duration.ofSeconds(seconds * 4L + 30))
        .await("" + target + " requests completed", () -> traffic.completed() >= target);
    traffic.close();
    return traffic;
  }

  @Test
  @Order(1)
  void twentyRpsSeeAtLeast99PercentSuccess() throws Exception {
    SteadyTraffic traffic = run(4, 5, 15);
    long completed = traffic.completed();
    sentSoFar += completed;
    double success = 1.0 - (double) traffic.failures().size() / completed;
    System.out.printf(
        "20 rps: %d requests, %d failed, success %.2f%%%n",
        completed, traffic.failures().size(), success * 100);
    assertTrue(
        success >= 0.99,
        () -> "success " + success + " with failures " + traffic.failures() + "\n"
            + mesh.proxyLogs());
  }

  @Test
  @Order(2)
  void twoHundredRpsRetriesStayWithinBudget() throws Exception {
    Counts before = countsOnceCounted(sentSoFar);
    long started = System.nanoTime();
    SteadyTraffic traffic = run(40, 5, 10);
    double seconds = (System.nanoTime() - started) / 1e9;
    long completed = traffic.completed();
    sentSoFar += completed;
    Counts after = countsOnceCounted(sentSoFar);

    double requests = after.effective() - before.effective();
    double retries = (after.actual() - after.effective()) - (before.actual() - before.effective());
    // Deposits from the previous phase may still be in the window; the budget allows 20% of them.
    double carried = before.effective();
    double budget = 0.2 * (requests + carried) + 10 * (seconds + 1);
    System.out.printf(
        "200 rps asked: %.0f requests in %.1f s (%.0f rps), %.0f retries (%.1f%%), budget %.0f,"
            + " client failures %d%n",
        requests, seconds, requests / seconds, retries, 100 * retries / requests, budget,
        traffic.failures().size());
    assertTrue(retries > 0, "a 20% failing backend gets retried");
    assertTrue(
        retries <= budget,
        () -> retries + " retries for " + requests + " requests in " + seconds + " s: over budget");
  }
}
