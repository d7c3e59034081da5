package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Payload;
import io.trellis.tests.mesh.HeapWatch;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.ProxyProcess;
import io.trellis.tests.mesh.Target;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 1 GiB each way through both proxies, each a JVM whose heap is capped at 64 MiB and which
 * exits on the first OutOfMemoryError: a proxy that buffered a body could not survive it. The
 * bytes arrive with the right size and SHA-256, both proxies are still running afterwards, and
 * over JMX from inside each proxy JVM: the heap limit is 64 MiB or less (the cap was in force,
 * not just requested) and the heap pools' peaks during the transfer, summed, stay under 64 MiB.
 * Tagged {@code gib} to find them; CI runs them.
 */
@Tag("gib")
class LargeBodyStreamingTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer());

  private static final long SIZE = Payload.GIB;
  private static final long HEAP_LIMIT = 64L * 1024 * 1024;
  private static String expectedSha;

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<HeapWatch> watches = new ArrayList<>();

  @BeforeAll
  static void hashOnce() {
    expectedSha = Payload.sha256(SIZE);
  }

  @BeforeEach
  void watchProxies() throws Exception {
    if (mesh.proxied()) {
      for (String workload : List.of("client", "server")) {
        watches.add(HeapWatch.attach(workload, mesh.proxy(workload).pid()));
      }
    }
  }

  @AfterEach
  void proxiesStayedSmall() throws Exception {
    for (String workload : mesh.proxied() ? List.of("client", "server") : List.<String>of()) {
      ProxyProcess proxy = mesh.proxy(workload);
      assertTrue(proxy.alive(), () -> workload + " proxy died\n" + proxy.logTail());
    }
    for (HeapWatch w : watches) {
      try (w) {
        assertTrue(w.maxHeap() > 0 && w.maxHeap() <= HEAP_LIMIT, "proxy runs with max heap " + w.maxHeap());
        // Peaks of separate pools, summed: an upper bound of the real peak.
        assertTrue(w.peakHeapUsed() < HEAP_LIMIT, "proxy heap pools peaked at " + w.peakHeapUsed());
        System.out.printf(
            "proxy %s heap: max %d MiB, pools' peaks summed %d MiB%n",
            w.workload(), w.maxHeap() >> 20, w.peakHeapUsed() >> 20);
      }
    }
    watches.clear();
  }

  @Test
  void oneGibUploadArrivesWithItsHash() throws Exception {
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    HttpRequest post =
        HttpRequest.newBuilder(echo.uri("/upload"))
            .header("Host", echo.authority())
            .timeout(Duration.ofMinutes(5))
            .POST(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> Payload.inputStream(SIZE)), SIZE))
            .build();
    HttpResponse<String> r = client.send(post, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("size=" + SIZE + " sha256=" + expectedSha, r.body());
  }

  @Test
  void oneGibDownloadArrivesWithItsHash() throws Exception {
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    HttpRequest get =
        HttpRequest.newBuilder(echo.uri("/bytes?n=" + SIZE))
            .header("Host", echo.authority())
            .timeout(Duration.ofMinutes(5))
            .build();
    HttpResponse<InputStream> r = client.send(get, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    MessageDigest sha = Payload.newDigest();
    long size = 0;
    try (InputStream in = r.body()) {
      byte[] buffer = new byte[Payload.BLOCK];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
        size += n;
      }
    }
    assertEquals(SIZE, size);
    assertEquals(expectedSha, Payload.hex(sha));
  }
}
