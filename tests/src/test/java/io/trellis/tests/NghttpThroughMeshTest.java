package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.tests.backend.Payload;
import io.trellis.tests.clients.Nghttp;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** nghttp: HTTP/2 prior knowledge with many concurrent streams on one connection. */
class NghttpThroughMeshTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  @TempDir Path work;
  private Nghttp nghttp;
  private Target echo;

  @BeforeEach
  void setUp() {
    nghttp = new Nghttp(work);
    echo = mesh.target("client", MeshFixture.SERVICE);
  }

  @Test
  void getReachesTheServerApp() {
    Nghttp.Result r = nghttp.get(echo, "/whoami", 1);
    assertEquals(java.util.List.of(200), r.statuses(), r.run()::describe);
    assertEquals("server", new String(r.body(), StandardCharsets.UTF_8));
  }

  @Test
  void concurrentStreamsOnOneConnectionAllSucceed() {
    Nghttp.Result r = nghttp.get(echo, "/slow?ms=50", 20);
    assertEquals(Collections.nCopies(20, 200), r.statuses(), r.run()::describe);
    String bodies = new String(r.body(), StandardCharsets.UTF_8);
    assertEquals(20, bodies.split("slow 50 ms from server", -1).length - 1, bodies);
  }

  @Test
  void postIsEchoedBack() throws Exception {
    Path body = work.resolve("body.txt");
    Files.writeString(body, "nghttp through two proxies");
    Nghttp.Result r = nghttp.post(echo, "/echo", body);
    assertEquals(java.util.List.of(200), r.statuses(), r.run()::describe);
    assertEquals("nghttp through two proxies", new String(r.body(), StandardCharsets.UTF_8));
  }

  @Test
  void downloadPastTheFlowControlWindowArrivesWhole() {
    long size = 8L * 1024 * 1024;
    Nghttp.Result r = nghttp.get(echo, "/bytes?n=" + size, 1);
    assertEquals(java.util.List.of(200), r.statuses(), r.run()::describe);
    assertEquals(size, r.body().length);
    var digest = Payload.newDigest();
    digest.update(r.body());
    assertEquals(Payload.sha256(size), Payload.hex(digest));
  }
}
