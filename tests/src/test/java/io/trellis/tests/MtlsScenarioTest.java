package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.actors.metrics.Json;
import io.trellis.actors.metrics.PrometheusText;
import io.trellis.tests.mesh.Cli;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.Target;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * mTLS between two proxies with certificates the control plane issued, as a user runs it: a
 * control plane that creates its CA in the state directory beside mesh.conf, and two proxies
 * started with {@code --control-plane} (identity auto: on). Requests client → its outbound proxy
 * → server's inbound proxy → backend succeed, and both proxies' metrics and {@code trellis edges}
 * name the peer each side verified (tap: SidecarMtlsTest).
 */
class MtlsScenarioTest {
  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(MeshFixture.clientAndServer())
          .withControlPlanes(1)
          .withMeshSettings("trellis.metrics { scrape-interval = 1s }");

  private static final int REQUESTS = 20;
  private static final String CLIENT_ID = identity("client");
  private static final String SERVER_ID = identity("server");

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** The identity the control plane issues for a workload of the test mesh (defaults). */
  static String identity(String workload) {
    return workload + "." + MeshSpec.NAMESPACE
        + ".serviceaccount.identity.trellis.cluster.local";
  }

  @Test
  @SuppressWarnings("unchecked")
  void requestsBetweenProxiesAreMutualTlsWithIssuedCertificates() throws Exception {
    mesh.requireProxies();
    assertTrue(mesh.controlPlane(0).logged("no CA was configured: created a new trust anchor"),
        mesh::proxyLogs);
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    for (int i = 0; i < REQUESTS; i++) {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(echo.uri("/whoami")).header("Host", echo.authority())
              .timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), () -> r.body() + "\n" + mesh.proxyLogs());
    }

    // The client's proxy: the server proved its identity, on the requests and the connection.
    PrometheusText client = scrapeUntil("client", Map.of("direction", "outbound",
        "tls", "true", "server_id", SERVER_ID));
    assertTrue(client.sum("request_total", s -> s.labels().entrySet().containsAll(Map.of(
        "direction", "outbound", "tls", "true", "server_id", SERVER_ID).entrySet())) >= REQUESTS);
    assertTrue(client.sum("tcp_open_total", s -> s.labels().entrySet().containsAll(Map.of(
        "direction", "outbound", "peer", "dst", "tls", "true", "server_id", SERVER_ID)
        .entrySet())) >= 1, () -> dump(client));
    // The server's proxy: the client's identity from its certificate, on every request.
    PrometheusText server = scrapeUntil("server", Map.of("direction", "inbound",
        "tls", "true", "client_id", CLIENT_ID));
    assertTrue(server.sum("request_total", s -> s.labels().entrySet().containsAll(Map.of(
        "direction", "inbound", "tls", "true", "client_id", CLIENT_ID).entrySet())) >= REQUESTS);
    assertTrue(server.sum("tcp_open_total", s -> s.labels().entrySet().containsAll(Map.of(
        "direction", "inbound", "peer", "src", "tls", "true", "client_id", CLIENT_ID)
        .entrySet())) >= 1, () -> dump(server));
    // Nothing inbound went plaintext (the warm-up is mTLS too).
    assertEquals(0, server.sum("request_total", s -> "inbound".equals(s.label("direction"))
        && !"true".equals(s.label("tls"))), () -> dump(server));

    // trellis edges: the edge is secured, with both identities.
    String cp = mesh.controlPlane(0).destination();
    Cli.Result[] last = new Cli.Result[1];
    Map<String, Object>[] edge = new Map[1];
    Deadline.in(Duration.ofSeconds(60)).await("edges shows client -> server secured", () -> {
      sendOne(echo);
      last[0] = Cli.run("edges", "deploy", "-o", "json", "--control-plane", cp);
      if (last[0].exitCode() != 0) {
        return false;
      }
      List<Object> all = (List<Object>) Json.parse(last[0].out());
      edge[0] = all.isEmpty() ? null : (Map<String, Object>) all.get(0);
      return edge[0] != null && Boolean.TRUE.equals(edge[0].get("secured"))
          && CLIENT_ID.equals(edge[0].get("client_id"));
    }, () -> String.valueOf(last[0]));
    assertEquals(SERVER_ID, edge[0].get("server_id"), last[0]::toString);
    Cli.Result table = Cli.run("edges", "deploy", "--control-plane", cp);
    System.out.println("trellis edges deploy:\n" + table.out());
    assertTrue(table.out().lines().anyMatch(l -> l.startsWith("client") && l.endsWith("√")),
        table::toString);
  }

  private void sendOne(Target echo) {
    try {
      http.send(HttpRequest.newBuilder(echo.uri("/whoami")).header("Host", echo.authority())
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      // counted by the assertions on the metrics, not here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Scrapes until response_total has a series with {@code labels}: metrics publish per tick. */
  private PrometheusText scrapeUntil(String workload, Map<String, String> labels) {
    PrometheusText[] last = new PrometheusText[1];
    Deadline.in(Duration.ofSeconds(30)).await(
        workload + " /metrics has response_total" + labels,
        () -> {
          last[0] = PrometheusText.parse(scrape(workload));
          return last[0].sum("response_total",
              s -> s.labels().entrySet().containsAll(labels.entrySet())) >= REQUESTS;
        },
        () -> last[0] == null ? "no scrape" : dump(last[0]));
    return last[0];
  }

  private String scrape(String workload) {
    try {
      return http.send(HttpRequest.newBuilder(mesh.proxy(workload).adminUri("/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static String dump(PrometheusText m) {
    StringBuilder b = new StringBuilder();
    m.samples().stream()
        .filter(s -> s.name().equals("request_total") || s.name().equals("tcp_open_total"))
        .forEach(s -> b.append(s).append('\n'));
    return b.toString();
  }
}
