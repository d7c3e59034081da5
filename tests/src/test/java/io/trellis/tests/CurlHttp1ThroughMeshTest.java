package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Backend;
import io.trellis.tests.backend.Payload;
import io.trellis.tests.clients.Curl;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** curl over HTTP/1.1: client outbound proxy, then server inbound proxy, then the app. */
class CurlHttp1ThroughMeshTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  @TempDir Path work;
  private Curl curl;
  private Target echo;

  @BeforeEach
  void setUp() {
    curl = Curl.http1(work);
    echo = mesh.target("client", MeshFixture.SERVICE);
  }

  @Test
  void getReachesTheServerApp() {
    Curl.Response r = curl.get(echo, "/whoami");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("1.1", r.httpVersion());
    assertEquals("server", r.body());
    assertEquals("server", r.header(Backend.SERVED_BY));
  }

  @Test
  void postBodyIsEchoedBack() throws Exception {
    Path body = work.resolve("body.txt");
    Files.writeString(body, "hello through two proxies");
    Curl.Response r = curl.post(echo, "/echo", body, "-H", "Content-Type: text/plain");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("hello through two proxies", r.body());
    assertEquals("POST", r.header("x-echo-method"));
  }

  @Test
  void chunkedDownloadArrivesWhole() {
    long size = 3 * Payload.BLOCK + 17;
    Curl.Response r = curl.get(echo, "/bytes?n=" + size + "&chunked=1");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals(size, r.body().length());
    assertEquals("chunked", r.header("transfer-encoding"));
  }

  @Test
  void chunkedUploadIsHashedWhole() throws Exception {
    Path body = work.resolve("upload.bin");
    long size = 5 * Payload.BLOCK + 3;
    try (var in = Payload.inputStream(size)) {
      Files.copy(in, body);
    }
    Curl.Response r =
        curl.post(echo, "/upload", body, "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/octet-stream");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("size=" + size + " sha256=" + Payload.sha256(size), r.body());
  }

  @Test
  void serverStatusesPassThrough() {
    Curl.Response r = curl.get(echo, "/status/503");
    assertEquals(503, r.status(), r.run()::describe);
    assertEquals("status 503", r.body());
  }

  @Test
  void keepAliveConnectionCarriesManyRequests() throws Exception {
    // One curl, three URLs: curl reuses its connection to the outbound proxy for all of them.
    Path first = work.resolve("first.txt");
    Path second = work.resolve("second.txt");
    Curl.Response r =
        curl.get(
            echo, "/whoami", "--verbose",
            "--output", first.toString(), echo.serviceUrl("/whoami"),
            "--output", second.toString(), echo.serviceUrl("/whoami"));
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("server", Files.readString(first));
    assertEquals("server", Files.readString(second));
    assertEquals("server", r.body());
    assertTrue(r.run().err().contains("Re-using existing connection"), r.run()::describe);
  }

  @Test
  void h2cUpgradeOfferStillAnswersEveryRequestOnTheConnection() throws Exception {
    // curl --http2 on http:// offers "Upgrade: h2c". A proxy may take the upgrade or decline it
    // (Linkerd declines: it strips Upgrade and answers over HTTP/1.1); either way this request
    // and the next one on the same connection get their responses.
    Path first = work.resolve("first.txt");
    Curl.Response r =
        Curl.http2Upgrade(work)
            .get(echo, "/whoami", "--output", first.toString(), echo.serviceUrl("/whoami"));
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("server", Files.readString(first));
    assertEquals("server", r.body());
  }
}
