package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Backend;
import io.trellis.tests.backend.Payload;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Java's HttpClient. It speaks HTTP/1.1, and for http:// URLs HTTP/2 only through an h2c
 * Upgrade (it has no prior-knowledge mode); a proxy that declines the upgrade must still answer
 * over HTTP/1.1, which is what a Java app in the mesh sees.
 */
class JavaHttpClientThroughMeshTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static Target echo() {
    return mesh.target("client", MeshFixture.SERVICE);
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(echo().uri(path))
        .header("Host", echo().authority())
        .timeout(Duration.ofSeconds(30));
  }

  @Test
  void http11GetReachesTheServerApp() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r = client.send(request("/whoami").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(HttpClient.Version.HTTP_1_1, r.version());
    assertEquals("server", r.body());
    assertEquals("server", r.headers().firstValue(Backend.SERVED_BY).orElse(null));
  }

  @Test
  void http11PostWithContentLengthIsHashedWhole() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long size = 2L * 1024 * 1024 + 1;
    HttpRequest post =
        request("/upload")
            .POST(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> Payload.inputStream(size)), size))
            .build();
    HttpResponse<String> r = client.send(post, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("size=" + size + " sha256=" + Payload.sha256(size), r.body());
  }

  @Test
  void http2RequestedUpgradeOfferIsAnswered() throws Exception {
    // The first request carries "Upgrade: h2c"; the proxy may take the upgrade or decline it.
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpResponse<String> r = client.send(request("/whoami").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("server", r.body());
  }

  @Test
  void http2RequestedLaterRequestsOnTheConnectionAreAnswered() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = client.send(request("/whoami").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("server", r.body());
      // The proxy declines the upgrade, as Linkerd does: the Host the app set keeps routing.
      assertEquals(HttpClient.Version.HTTP_1_1, r.version());
    }
  }

  @Test
  void http2RequestedPostOnANewConnectionIsHashedWhole() throws Exception {
    // The upgrade offer rides on a request whose body is still arriving when the head is read.
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    long size = 2L * 1024 * 1024 + 1;
    HttpRequest post =
        request("/upload")
            .POST(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> Payload.inputStream(size)), size))
            .build();
    HttpResponse<String> r = client.send(post, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("size=" + size + " sha256=" + Payload.sha256(size), r.body());
  }

  @Test
  void concurrentRequestsAllSucceed() {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      calls.add(client.sendAsync(request("/slow?ms=20").build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> call : calls) {
      HttpResponse<String> r = call.join();
      assertEquals(200, r.statusCode());
      assertTrue(r.body().startsWith("slow 20 ms from server"), r.body());
    }
  }
}
