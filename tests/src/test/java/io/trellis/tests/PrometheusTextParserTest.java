package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.trellis.actors.metrics.PrometheusText;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scrape parser MetricsScrapeTest relies on reads what Prometheus reads, and no more. */
class PrometheusTextParserTest {
  @Test
  void readsLabelsEscapesSpecialValuesAndTimestamps() {
    PrometheusText text =
        PrometheusText.parse(
            String.join(
                "\n",
                "# HELP request_total Total requests",
                "# TYPE request_total counter",
                "request_total{direction=\"outbound\",authority=\"echo-svc:80\",tls=\"disabled\"} 7",
                "response_latency_ms_bucket{le=\"+Inf\",direction=\"inbound\"} 3 1700000000000",
                "odd{path=\"a \\\"q\\\" \\\\ b\\nc\"} +Inf",
                "bare 1.5e3",
                ""));
    assertEquals("counter", text.type("request_total"));
    PrometheusText.Sample r = text.find("request_total", s -> true).get(0);
    assertEquals(Map.of("direction", "outbound", "authority", "echo-svc:80", "tls", "disabled"), r.labels());
    assertEquals(7.0, r.value());
    assertEquals(3.0, text.sum("response_latency_ms_bucket", s -> "+Inf".equals(s.label("le"))));
    assertEquals("a \"q\" \\ b\nc", text.find("odd", s -> true).get(0).label("path"));
    assertEquals(Double.POSITIVE_INFINITY, text.find("odd", s -> true).get(0).value());
    assertEquals(1500.0, text.find("bare", s -> true).get(0).value());
  }

  @Test
  void rejectsWhatPrometheusWouldReject() {
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("m{a=\"unterminated} 1"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("m{a=b} 1"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("m 1 2 3"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("m one"));
  }
}
