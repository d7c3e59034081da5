package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.WorkloadConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that close their connections with requests in flight (a load generator ending its run,
 * a browser tab closed) are not the endpoint's failures: the endpoint stays in the balancer and
 * the next request is served at once, and the proxy keeps serving.
 */
class ClientsGoingAwayTest extends SidecarTestKit {
  Sidecar client;
  TestApp app;

  @BeforeAll
  void startMesh() {
    mesh.service("web", 80);
    client = sidecar(mesh.workload("client"));
    WorkloadConfig web = mesh.workload("web", "web");
    sidecar(web);
    app = app(web);
  }

  @Test
  void clientsClosingMidRequestDoNotEjectTheEndpoint() throws Exception {
    // the endpoint is known and serves
    assertEquals(200, h1(client.outboundAddress(), HttpRequest.GET("http://web/")).status().intValue());
    InetSocketAddress out = client.outboundAddress();
    double[] before = srcConnections();
    // more clients than the 7 consecutive failures that would eject it, each gone mid-request
    List<Socket> gone = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Socket s = new Socket(out.getAddress(), out.getPort());
      OutputStream o = s.getOutputStream();
      o.write("GET /trickle/300 HTTP/1.1\r\nHost: web\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      o.flush();
      gone.add(s);
    }
    // every request was dispatched to the endpoint (it reached the app) before its client left
    await(
        "20 requests at the app",
        () -> app.sleeping.get() >= 20 ? java.util.Optional.of(true) : java.util.Optional.empty());
    for (Socket s : gone) {
      s.setSoLinger(true, 0); // reset, as a killed client does
      s.close();
    }
    // The proxy learns that a client left when it cannot write the response to it, here in the
    // middle of the body (its last chunk comes 300 ms later): wait until every one of the 20
    // client connections is closed on the proxy's side (its requests abandoned).
    await(
        "the 20 client connections closed on the outbound",
        () -> {
          double[] now = srcConnections();
          return now[0] >= before[0] + 20 && now[1] <= before[1]
              ? java.util.Optional.of(true)
              : java.util.Optional.empty();
        });
    // the endpoint is still in the balancer (ejected, the request would wait out the fail-fast
    // timeout and get a 503)
    HttpResponse response = h1(out, HttpRequest.GET("http://web/"));
    assertEquals(200, response.status().intValue(), body(response));
    var service = mesh.current().resolve("web", 80).orElseThrow();
    assertEquals(1, destinations.destination(service).current().endpoints().size());
    // and a keep-alive connection still serves requests one after another
    try (Socket s = new Socket(out.getAddress(), out.getPort())) {
      for (int i = 0; i < 3; i++) {
        s.getOutputStream()
            .write("GET / HTTP/1.1\r\nHost: web\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("HTTP/1.1 200 OK", statusLineAndSkip(s.getInputStream()));
      }
    }
  }

  /** The outbound's client connections: opened in all, open now (TCP metrics). */
  private double[] srcConnections() {
    var admin = client.adminAddress();
    String text = body(h1(admin, HttpRequest.GET("http://" + admin.getHostString() + "/metrics")));
    PrometheusText metrics = PrometheusText.parse(text);
    java.util.Map<String, String> src = java.util.Map.of("direction", "outbound", "peer", "src");
    return new double[] {
      metrics.find("tcp_open_total", src).stream().mapToDouble(PrometheusText.Sample::value).sum(),
      metrics.find("tcp_open_connections", src).stream()
          .mapToDouble(PrometheusText.Sample::value)
          .sum()
    };
  }

  /** Reads one response with a Content-Length body and returns its status line. */
  private static String statusLineAndSkip(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return head.substring(0, head.indexOf("\r\n"));
  }
}
