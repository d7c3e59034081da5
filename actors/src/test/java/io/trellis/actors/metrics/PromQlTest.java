package io.trellis.actors.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The PromQL a Linkerd user would write, and how a Prometheus answer is read. */
class PromQlTest {
  static final Selector INBOUND =
      Selector.of("response_total").with("direction", "inbound").with("namespace", "emojivoto");

  @Test
  void queriesReadAsLinkerdUsersWriteThem() {
    assertEquals(
        "sum(rate(response_total{direction=\"inbound\",namespace=\"emojivoto\"}[1m]))"
            + " by (deployment, classification)",
        PromQl.sumRate(INBOUND, List.of("deployment", "classification"), Duration.ofMinutes(1)));
    assertEquals(
        "histogram_quantile(0.95, sum(rate(response_latency_ms_bucket{direction=\"inbound\","
            + "namespace=\"emojivoto\"}[30s])) by (le, deployment))",
        PromQl.quantile(0.95, INBOUND.on("response_latency_ms"), List.of("deployment"),
            Duration.ofSeconds(30)));
    assertEquals("sum(tcp_open_connections{direction=\"inbound\"}) by (deployment)",
        PromQl.sum(Selector.of("tcp_open_connections").with("direction", "inbound"),
            List.of("deployment")));
    assertEquals("sum(up{namespace=\"emojivoto\"}) by (deployment)",
        PromQl.proxiesUp("emojivoto"));
    assertEquals("x{a=\"q\\\"uote\"}", PromQl.selector(Selector.of("x").with("a", "q\"uote")));
  }

  @Test
  void theSourceSendsTheQueryToTheHttpApiAndReadsTheVector() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    AtomicReference<String> asked = new AtomicReference<>();
    server.createContext("/api/v1/query", exchange -> {
      String q = exchange.getRequestURI().getRawQuery();
      asked.set(URLDecoder.decode(q.substring("query=".length()), StandardCharsets.UTF_8));
      byte[] body = ("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
          + "{\"metric\":{\"deployment\":\"web\",\"classification\":\"success\"},"
          + "\"value\":[1700000000.5,\"2.5\"]},"
          + "{\"metric\":{\"deployment\":\"web\",\"classification\":\"failure\"},"
          + "\"value\":[1700000000.5,\"NaN\"]}]}}").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      var source = new PrometheusSource(
          "http://127.0.0.1:" + server.getAddress().getPort() + "/", Duration.ofSeconds(5));
      var samples = source.sumRate(INBOUND, List.of("deployment", "classification"),
          Duration.ofMinutes(1)).toCompletableFuture().get();
      assertEquals(PromQl.sumRate(INBOUND, List.of("deployment", "classification"),
          Duration.ofMinutes(1)), asked.get());
      assertEquals(2, samples.size());
      assertEquals("success", samples.get(0).label("classification"));
      assertEquals(2.5, samples.get(0).value());
      assertEquals(Double.NaN, samples.get(1).value());
    } finally {
      server.stop(0);
    }
  }
}
