package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.trellis.config.WorkloadConfig;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The first request for a service finds its destination empty (the lookup creates it; the
 * service's actor publishes a moment later). The fused path waits for that first snapshot and
 * serves the request itself: it is not handed to the pekko listener, whose HTTP client would
 * then be started in every proxy for that one request.
 */
class FusedFirstRequestTest extends SidecarTestKit {
  Sidecar client;

  @BeforeAll
  void startMesh() {
    assumeTrue(settings.transport().kind() == ProxySettings.Transport.Kind.LOOP, "fused path only");
    mesh.service("api", 80);
    mesh.service("nowhere", 80); // no workload serves it
    client = sidecar(mesh.workload("client"));
    WorkloadConfig api = mesh.workload("api", "api");
    sidecar(api);
    app(api);
  }

  @Test
  void theFirstRequestForAServiceIsServedByTheFusedPath() {
    HttpResponse first = h1(client.outboundAddress(), HttpRequest.GET("http://api/first"));
    assertEquals(200, first.status().intValue(), body(first));
    assertEquals(0, client.pekkoClientPools(), "the first request was delegated to the pekko path");
  }

  @Test
  void aServiceWithNoEndpointIsStillAnsweredAfterTheFailFastTimeout() {
    // its first snapshot is empty: the request goes on to the pekko path, which waits and answers
    HttpResponse response = h1(client.outboundAddress(), HttpRequest.GET("http://nowhere/"));
    assertEquals(504, response.status().intValue(), body(response));
    assertEquals(
        "service nowhere.demo.svc.cluster.local:80: no endpoints after 500ms\n", body(response));
  }
}
