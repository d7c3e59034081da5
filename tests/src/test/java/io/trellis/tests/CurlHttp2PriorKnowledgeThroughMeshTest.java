package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** curl --http2-prior-knowledge (h2c): the proxies route by :authority and keep HTTP/2. */
class CurlHttp2PriorKnowledgeThroughMeshTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  @TempDir Path work;
  private Curl curl;
  private Target echo;

  @BeforeEach
  void setUp() {
    curl = Curl.http2PriorKnowledge(work);
    echo = mesh.target("client", MeshFixture.SERVICE);
  }

  @Test
  void getIsAnsweredOverHttp2() {
    Curl.Response r = curl.get(echo, "/whoami");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("2", r.httpVersion());
    assertEquals("server", r.body());
    assertEquals("server", r.header(Backend.SERVED_BY));
  }

  @Test
  void postBodyIsEchoedBack() throws Exception {
    Path body = work.resolve("body.txt");
    Files.writeString(body, "h2c through two proxies");
    Curl.Response r = curl.post(echo, "/echo", body, "-H", "Content-Type: text/plain");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("h2c through two proxies", r.body());
    assertEquals("POST", r.header("x-echo-method"));
  }

  @Test
  void downloadLargerThanTheFlowControlWindowArrivesWhole() {
    // 4 MiB: far past HTTP/2's initial 64 KiB window, so WINDOW_UPDATEs must flow on both hops.
    long size = 4L * 1024 * 1024;
    Curl.Response r = curl.get(echo, "/bytes?n=" + size);
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals(size, r.body().length());
    assertEquals(Payload.sha256(size), sha256(r.body()));
  }

  @Test
  void uploadLargerThanTheFlowControlWindowIsHashedWhole() throws Exception {
    long size = 4L * 1024 * 1024 + 5;
    Path body = work.resolve("upload.bin");
    try (var in = Payload.inputStream(size)) {
      Files.copy(in, body);
    }
    Curl.Response r = curl.post(echo, "/upload", body, "-H", "Content-Type: application/octet-stream");
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals("size=" + size + " sha256=" + Payload.sha256(size), r.body());
  }

  @Test
  void serverStatusesPassThrough() {
    Curl.Response r = curl.get(echo, "/status/404");
    assertEquals(404, r.status(), r.run()::describe);
    assertEquals("status 404", r.body());
  }

  static String sha256(String latin1) {
    var digest = Payload.newDigest();
    digest.update(latin1.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    return Payload.hex(digest);
  }
}
