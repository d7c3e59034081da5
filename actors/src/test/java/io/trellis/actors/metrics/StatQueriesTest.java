package io.trellis.actors.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.api.metrics.EdgesRequest;
import io.trellis.api.metrics.Resource;
import io.trellis.api.metrics.RouteRow;
import io.trellis.api.metrics.RoutesRequest;
import io.trellis.api.metrics.StatRequest;
import io.trellis.api.metrics.StatRow;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ProxyPorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.TrafficSplit;
import io.trellis.config.WorkloadConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * stat, edges and routes over fixture scrapes of two proxies ten seconds apart, in the text the
 * proxies export (names and labels as REFERENCE.md has them, route metrics included).
 */
class StatQueriesTest {
  static final String NS = "emojivoto";
  static final String WEB = "namespace=\"emojivoto\",deployment=\"web\",pod=\"web-1\"";
  static final String EMOJI = "namespace=\"emojivoto\",deployment=\"emoji\",pod=\"emoji-1\"";
  static final String TO_EMOJI = "direction=\"outbound\",authority=\"emoji-svc:8080\",tls=\"disabled\","
      + "dst_service=\"emoji-svc\",dst_namespace=\"emojivoto\",dst_deployment=\"emoji\",";
  static final String ROUTE = "dst=\"emoji-svc.emojivoto.svc.cluster.local:8080\",tls=\"disabled\",";

  /** web calls emoji; emoji answers 90% success; per-route series on both sides. */
  static String web(int n) {
    return String.join("\n",
        "# TYPE response_total counter",
        "response_total{" + TO_EMOJI + "status_code=\"200\",classification=\"success\"," + WEB + "} "
            + 45 * n,
        "response_total{" + TO_EMOJI + "status_code=\"500\",classification=\"failure\"," + WEB + "} "
            + 5 * n,
        "route_response_total{direction=\"outbound\"," + ROUTE + "rt_route=\"GET /list\","
            + "dst_service=\"emoji-svc\",dst_namespace=\"emojivoto\",status_code=\"200\","
            + "classification=\"success\"," + WEB + "} " + 30 * n,
        "route_response_total{direction=\"outbound\"," + ROUTE + "rt_route=\"[DEFAULT]\","
            + "dst_service=\"emoji-svc\",dst_namespace=\"emojivoto\",status_code=\"500\","
            + "classification=\"failure\"," + WEB + "} " + 5 * n,
        "route_actual_response_total{direction=\"outbound\"," + ROUTE + "rt_route=\"GET /list\","
            + "dst_service=\"emoji-svc\",dst_namespace=\"emojivoto\",status_code=\"200\","
            + "classification=\"success\"," + WEB + "} " + 40 * n,
        "# TYPE tcp_open_connections gauge",
        "tcp_open_connections{direction=\"inbound\",peer=\"src\"," + WEB + "} 0",
        "");
  }

  static String emoji(int n) {
    String in = "direction=\"inbound\",authority=\"emoji-svc:8080\",tls=\"disabled\",";
    StringBuilder b = new StringBuilder(String.join("\n",
        "response_total{" + in + "status_code=\"200\",classification=\"success\"," + EMOJI + "} "
            + 90 * n,
        "response_total{" + in + "status_code=\"500\",classification=\"failure\"," + EMOJI + "} "
            + 10 * n,
        "route_response_total{direction=\"inbound\"," + ROUTE + "rt_route=\"GET /list\","
            + "status_code=\"200\",classification=\"success\"," + EMOJI + "} " + 90 * n,
        "tcp_open_connections{direction=\"inbound\",peer=\"src\"," + EMOJI + "} 3",
        "# TYPE response_latency_ms histogram",
        ""));
    // 100 requests per step: 50 in (1,5] ms, 50 in (5,10] ms.
    int[][] buckets = {{1, 0}, {5, 50}, {10, 100}};
    for (int[] le : buckets) {
      b.append("response_latency_ms_bucket{").append(in).append("status_code=\"200\",")
          .append(EMOJI).append(",le=\"").append(le[0]).append(".0\"} ").append(le[1] * n)
          .append('\n');
    }
    b.append("response_latency_ms_bucket{").append(in).append("status_code=\"200\",")
        .append(EMOJI).append(",le=\"+Inf\"} ").append(100 * n).append('\n');
    return b.toString();
  }

  static RollingWindows.Target target(String workload, String t0, String t1) {
    return new RollingWindows.Target(workload, NS, List.of(
        new RollingWindows.Scrape(0, Scraper.keep(t0, 1000)),
        new RollingWindows.Scrape(10_000, Scraper.keep(t1, 1000))), null);
  }

  static final MeshConfig MESH = new MeshConfig(NS,
      Map.of("web-svc", new ServiceConfig("web-svc", 80, List.of()),
          "emoji-svc", new ServiceConfig("emoji-svc", 8080, List.of())),
      Map.of("web", workload("web", "127.0.10.11", "web-svc"),
          "emoji", workload("emoji", "127.0.10.12", "emoji-svc"),
          "voting", workload("voting", "127.0.10.13")),
      List.of(),
      List.of(new TrafficSplit("emoji-split", NS, "emoji-svc",
          List.of(new TrafficSplit.Backend("emoji-svc", 900), new TrafficSplit.Backend("web-svc",
              100)))),
      null);

  static WorkloadConfig workload(String name, String address, String... serves) {
    return new WorkloadConfig(name, address, 8080, List.of(serves), name,
        ProxyPorts.defaultsFor(address));
  }

  final StatQueries queries = new StatQueries(
      new RollingWindows(() -> new RollingWindows.Snapshot(Map.of(
          "web", target("web", web(1), web(11)),
          "emoji", target("emoji", emoji(1), emoji(11))))),
      () -> MESH, Duration.ofMinutes(10));

  static Resource res(String type, String name) {
    return Resource.newBuilder().setType(type).setName(name).build();
  }

  StatRow row(List<StatRow> rows, String name) {
    return rows.stream().filter(r -> r.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void statDeployListsEveryWorkloadWithTheServersNumbers() throws Exception {
    var rows = queries.stat(StatRequest.newBuilder().setResource(res("deploy", "")).build())
        .toCompletableFuture().get().getRowsList();
    assertEquals(List.of("emoji", "voting", "web"), rows.stream().map(StatRow::getName).toList());
    var emoji = row(rows, "emoji");
    assertEquals(0.9, emoji.getStats().getSuccessRate(), 1e-9);
    assertEquals(100.0, emoji.getStats().getRps(), 1e-9);
    assertEquals(5.0, emoji.getStats().getLatencyP50Ms(), 1e-9);
    assertEquals(9.5, emoji.getStats().getLatencyP95Ms(), 1e-9);
    assertEquals(9.9, emoji.getStats().getLatencyP99Ms(), 1e-9);
    assertEquals(3, emoji.getTcpConnections());
    assertEquals(1, emoji.getMeshed());
    assertFalse(row(rows, "web").getStats().getHasTraffic());
    // voting's proxy was never scraped: not meshed, no numbers
    assertEquals(0, row(rows, "voting").getMeshed());
    assertFalse(row(rows, "voting").getHasTcp());
  }

  @Test
  void fromAndToReadTheClientsOutboundSeries() throws Exception {
    var from = queries.stat(StatRequest.newBuilder().setResource(res("deploy", ""))
        .setFrom(res("deploy", "web")).build()).toCompletableFuture().get().getRowsList();
    assertEquals(List.of("emoji"), from.stream().map(StatRow::getName).toList());
    assertEquals(50.0, from.get(0).getStats().getRps(), 1e-9);
    assertEquals(0.9, from.get(0).getStats().getSuccessRate(), 1e-9);
    var to = queries.stat(StatRequest.newBuilder().setResource(res("deploy", "web"))
        .setTo(res("svc", "emoji-svc")).build()).toCompletableFuture().get().getRowsList();
    assertEquals(50.0, row(to, "web").getStats().getRps(), 1e-9);
    var svc = queries.stat(StatRequest.newBuilder().setResource(res("svc", "")).build())
        .toCompletableFuture().get().getRowsList();
    assertEquals(50.0, row(svc, "emoji-svc").getStats().getRps(), 1e-9);
    assertFalse(row(svc, "web-svc").getStats().getHasTraffic());
    var ts = queries.stat(StatRequest.newBuilder().setResource(res("ts", "")).build())
        .toCompletableFuture().get().getRowsList();
    assertEquals(2, ts.size());
    assertEquals("emoji-svc", ts.get(0).getApex());
    assertEquals("900m", ts.get(0).getWeight());
    assertEquals(50.0, ts.get(0).getStats().getRps(), 1e-9);
  }

  @Test
  void edgesComeFromOutboundSeriesWithADestinationDeployment() throws Exception {
    var edges = queries.edges(EdgesRequest.newBuilder().setResourceType("deploy").build())
        .toCompletableFuture().get().getEdgesList();
    assertEquals(1, edges.size());
    assertEquals("web", edges.get(0).getSrc());
    assertEquals("emoji", edges.get(0).getDst());
    assertFalse(edges.get(0).getSecured());
  }

  @Test
  void mtlsEdgesAreSecuredWithTheIdentitiesFromTheProxiesLabels() throws Exception {
    String webId = "web.emojivoto.serviceaccount.identity.trellis.cluster.local";
    String emojiId = "emoji.emojivoto.serviceaccount.identity.trellis.cluster.local";
    java.util.function.UnaryOperator<String> webTls = text -> text.replace(
        "tls=\"disabled\",dst_service", "tls=\"true\",server_id=\"" + emojiId + "\",dst_service");
    java.util.function.UnaryOperator<String> emojiTls = text -> text.replace(
        "authority=\"emoji-svc:8080\",tls=\"disabled\"",
        "authority=\"emoji-svc:8080\",tls=\"true\",client_id=\"" + webId + "\"");
    StatQueries secured = new StatQueries(
        new RollingWindows(() -> new RollingWindows.Snapshot(Map.of(
            "web", target("web", webTls.apply(web(1)), webTls.apply(web(11))),
            "emoji", target("emoji", emojiTls.apply(emoji(1)), emojiTls.apply(emoji(11)))))),
        () -> MESH, Duration.ofMinutes(10));
    var edges = secured.edges(EdgesRequest.newBuilder().setResourceType("deploy").build())
        .toCompletableFuture().get().getEdgesList();
    assertEquals(1, edges.size(), edges.toString());
    assertTrue(edges.get(0).getSecured(), edges.toString());
    assertEquals(emojiId, edges.get(0).getServerId());
    assertEquals(webId, edges.get(0).getClientId());
  }

  @Test
  void routesShowEachRouteAndDefaultLastWithActualNumbersForTo() throws Exception {
    var rows = queries.routes(RoutesRequest.newBuilder().setResource(res("deploy", "web"))
        .setTo(res("svc", "emoji-svc")).build()).toCompletableFuture().get().getRowsList();
    assertEquals(List.of("GET /list", "[DEFAULT]"), rows.stream().map(RouteRow::getRoute).toList());
    RouteRow list = rows.get(0);
    assertEquals("emoji-svc", list.getService());
    assertEquals(30.0, list.getStats().getRps(), 1e-9);
    assertEquals(40.0, list.getActual().getRps(), 1e-9);
    assertEquals(0.0, rows.get(1).getStats().getSuccessRate(), 1e-9);
    var server = queries.routes(RoutesRequest.newBuilder().setResource(res("svc", "emoji-svc"))
        .build()).toCompletableFuture().get().getRowsList();
    assertEquals(90.0, server.get(0).getStats().getRps(), 1e-9);
    assertEquals("[DEFAULT]", server.get(1).getRoute());
    assertFalse(server.get(1).getStats().getHasTraffic());
  }

  @Test
  void badRequestsSayWhatIsWrong() {
    var e = assertThrows(StatQueries.BadRequest.class, () -> queries.stat(StatRequest.newBuilder()
        .setResource(res("pods", "")).build()));
    assertTrue(e.getMessage().contains("pods"), e.getMessage());
    e = assertThrows(StatQueries.BadRequest.class, () -> queries.stat(StatRequest.newBuilder()
        .setResource(res("deploy", "")).setWindow("11m").build()));
    assertTrue(e.getMessage().contains("between 1s and 10m"), e.getMessage());
    e = assertThrows(StatQueries.BadRequest.class, () -> queries.routes(RoutesRequest.newBuilder()
        .setResource(res("svc", "nope")).build()));
    assertTrue(e.getMessage().contains("no service 'nope'"), e.getMessage());
  }
}
