package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Payload;
import io.trellis.tests.clients.Curl;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunked (unknown-length) HTTP/1.1 uploads through client outbound proxy, server inbound proxy
 * and app: the body arrives whole and the client's connection stays open for the next request.
 */
class ChunkedUploadThroughMeshTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  @TempDir Path work;

  private static Target echo() {
    return mesh.target("client", MeshFixture.SERVICE);
  }

  @Test
  void javaHttpClientInputStreamUploadsAreHashedWhole() throws Exception {
    // ofInputStream has no length: the client sends Transfer-Encoding: chunked.
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long size = 2L * 1024 * 1024;
    for (int i = 0; i < 3; i++) {
      HttpRequest post =
          HttpRequest.newBuilder(echo().uri("/upload"))
              .header("Host", echo().authority())
              .timeout(Duration.ofSeconds(30))
              .POST(HttpRequest.BodyPublishers.ofInputStream(() -> Payload.inputStream(size)))
              .build();
      HttpResponse<String> r = client.send(post, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals(HttpClient.Version.HTTP_1_1, r.version());
      assertEquals("size=" + size + " sha256=" + Payload.sha256(size), r.body());
    }
  }

  @Test
  void curlChunkedUploadsShareOneConnection() throws Exception {
    Path body = work.resolve("upload.bin");
    long size = 5 * Payload.BLOCK + 3;
    try (var in = Payload.inputStream(size)) {
      Files.copy(in, body);
    }
    Path first = work.resolve("first.txt");
    // One curl, two URLs: both POST the file chunked, the second on the first one's connection.
    Curl.Response r =
        Curl.http1(work)
            .post(
                echo(), "/upload", body,
                "-H", "Transfer-Encoding: chunked",
                "-H", "Content-Type: application/octet-stream",
                "--verbose",
                "--output", first.toString(), echo().serviceUrl("/upload"));
    String hashed = "size=" + size + " sha256=" + Payload.sha256(size);
    assertEquals(200, r.status(), r.run()::describe);
    assertEquals(hashed, Files.readString(first));
    assertEquals(hashed, r.body());
    assertTrue(r.run().err().contains("Re-using existing connection"), r.run()::describe);
  }
}
