package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HostPort;
import io.trellis.config.WorkloadConfig;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Requests from a client workload's outbound listener through a server's inbound to its app. */
class SidecarRoutingTest extends SidecarTestKit {
  Sidecar client;
  WorkloadConfig web;
  WorkloadConfig api;
  HostPort unmeshed;

  @BeforeAll
  void startMesh() {
    mesh.service("web", 80).service("api", 8080);
    WorkloadConfig clientWorkload = mesh.workload("client");
    web = mesh.workload("web", "web");
    api = mesh.workload("api", "api");
    unmeshed = new HostPort(TestMesh.nextAddress(), 9000);
    client = sidecar(clientWorkload);
    sidecar(web);
    sidecar(api);
    app(web);
    app(api);
    app("unmeshed", unmeshed);
  }

  @Test
  void http1RoutesByHostThroughOutboundAndInbound() {
    HttpResponse response = h1(client.outboundAddress(), HttpRequest.GET("http://web/hello"));
    assertEquals(200, response.status().intValue());
    String body = body(response);
    assertTrue(body.startsWith("web HTTP/1.1"), body);
    // The app sees the authority the client asked for.
    assertTrue(body.contains("host: web"), body);
  }

  @Test
  void hostFormsOfTheSameServiceReachIt() {
    for (String authority :
        List.of("api:8080", "api.demo:8080", "api.demo.svc.cluster.local:8080")) {
      HttpResponse response =
          h1(client.outboundAddress(), HttpRequest.GET("http://" + authority + "/"));
      assertTrue(body(response).startsWith("api "), authority);
    }
  }

  @Test
  void http2RoutesByAuthorityOnTheSamePort() {
    HttpResponse response = h2(client.outboundAddress(), HttpRequest.GET("http://api:8080/x"));
    assertEquals(200, response.status().intValue());
    String body = body(response);
    // HTTP/2 all the way to the app.
    assertTrue(body.startsWith("api HTTP/2.0"), body);
  }

  @Test
  void unknownAuthorityIsEgressToItsHostAndPort() {
    HttpResponse response =
        h1(client.outboundAddress(), HttpRequest.GET("http://" + unmeshed + "/out"));
    assertTrue(body(response).startsWith("unmeshed HTTP/1.1"));
  }

  @Test
  void hopByHopHeadersAreStrippedEndToEndHeadersKept() {
    HttpRequest request =
        HttpRequest.GET("http://web/headers")
            .addHeader(RawHeader.create("Connection", "x-hop"))
            .addHeader(RawHeader.create("X-Hop", "dropped"))
            .addHeader(RawHeader.create("Keep-Alive", "timeout=5"))
            .addHeader(RawHeader.create("Proxy-Connection", "keep-alive"))
            .addHeader(RawHeader.create("TE", "gzip"))
            .addHeader(RawHeader.create("X-End-To-End", "kept"));
    String body = body(h1(client.outboundAddress(), request));
    assertTrue(body.contains("x-end-to-end: kept"), body);
    for (String hop : List.of("x-hop", "keep-alive", "proxy-connection", "te:")) {
      assertFalse(body.contains(hop), hop + " reached the app: " + body);
    }
  }

  @Test
  void teTrailersPassesOverHttp2() {
    HttpRequest request =
        HttpRequest.GET("http://web/headers").addHeader(RawHeader.create("te", "trailers"));
    String body = body(h2(client.outboundAddress(), request));
    assertTrue(body.contains("te: trailers"), body);
  }

  @Test
  void requestForTheProxyItselfIsRefusedNotLooped() {
    var self = client.outboundAddress();
    HttpResponse response =
        h1(self, HttpRequest.GET("http://" + self.getHostString() + ":" + self.getPort() + "/"));
    assertEquals(502, response.status().intValue());
    assertTrue(body(response).contains("is this proxy"));
  }

  @Test
  void headResponsesKeepTheirHeadersAndHaveNoBody() {
    HttpResponse response = h1(client.outboundAddress(), HttpRequest.HEAD("http://web/"));
    assertEquals(200, response.status().intValue());
    assertTrue(response.entity().getContentLengthOption().orElse(0) > 0);
  }

  @Test
  void manyRequestsShareTheEndpointConnections() {
    for (int i = 0; i < 10; i++) {
      assertEquals(
          200, h1(client.outboundAddress(), HttpRequest.GET("http://web/")).status().intValue());
      assertEquals(
          200, h2(client.outboundAddress(), HttpRequest.GET("http://web/")).status().intValue());
    }
  }
}
