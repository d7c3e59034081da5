package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Backend;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.Target;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Editing mesh.conf while the proxies run: moving echo-svc from server-a to server-b (and back)
 * takes effect without a restart, and steady traffic across both edits sees no failed request,
 * including the requests in flight to the old endpoint when the edit lands.
 */
class MeshConfigReloadTest {
  @RegisterExtension
  static final MeshFixture mesh =
      MeshFixture.of(
          MeshSpec.empty()
              .service(MeshFixture.SERVICE)
              .client("client")
              .server("server-a", MeshFixture.SERVICE)
              .server("server-b"));

  private static final int WORKERS = 4;
  private static final int MAX_REQUESTS_PER_WORKER = 5_000;
  private static final Duration MAX_RUN = Duration.ofSeconds(120);

  private final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
  private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());

  @Test
  void endpointMovesFollowEditsWithoutFailingRequests() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      workers.add(pool.submit(() -> steadyTraffic(client, echo, stop)));
    }
    try {
      awaitServed("server-a", 20);

      // Edit 1, in place (as `echo > mesh.conf` or most editors do).
      mesh.edit(spec -> spec.withServes("server-a").withServes("server-b", MeshFixture.SERVICE), false);
      awaitServed("server-b", 20);
      awaitOnly("server-b");

      // Edit 2, by atomic rename (as editors that write a temp file and move it do).
      long aBefore = count("server-a");
      mesh.edit(spec -> spec.withServes("server-b").withServes("server-a", MeshFixture.SERVICE), true);
      awaitServed("server-a", aBefore + 20);
      awaitOnly("server-a");
    } finally {
      stop.set(true);
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "workers stop");
    }
    for (Future<?> w : workers) {
      w.get();
    }
    assertEquals(List.of(), failures, () -> "failed requests\n" + mesh.proxyLogs());
    assertTrue(count("server-a") > 0 && count("server-b") > 0, () -> "served: " + servedBy);
  }

  /** Requests back to back until told to stop, bounded in count and time either way. */
  private void steadyTraffic(HttpClient client, Target echo, AtomicBoolean stop) {
    Deadline deadline = Deadline.in(MAX_RUN);
    for (int i = 0; i < MAX_REQUESTS_PER_WORKER && !stop.get() && !deadline.passed(); i++) {
      HttpRequest get =
          HttpRequest.newBuilder(echo.uri("/slow?ms=10"))
              .header("Host", echo.authority())
              .timeout(Duration.ofSeconds(20))
              .build();
      try {
        HttpResponse<String> r = client.send(get, HttpResponse.BodyHandlers.ofString());
        String server = r.headers().firstValue(Backend.SERVED_BY).orElse("?");
        if (r.statusCode() != 200) {
          failures.add(r.statusCode() + " from " + server + ": " + r.body());
          continue;
        }
        servedBy.computeIfAbsent(server, k -> new AtomicLong()).incrementAndGet();
      } catch (Exception e) {
        failures.add(e.toString());
      }
    }
  }

  private long count(String server) {
    AtomicLong n = servedBy.get(server);
    return n == null ? 0 : n.get();
  }

  private void awaitServed(String server, long atLeast) {
    Deadline.in(Duration.ofSeconds(45))
        .await(server + " served " + atLeast + " requests", () -> count(server) >= atLeast || !failures.isEmpty(),
            () -> "served: " + servedBy + ", failures: " + failures);
    assertEquals(List.of(), failures, () -> "failed requests\n" + mesh.proxyLogs());
  }

  /** Waits until 50 responses in a row came from {@code server}: the old endpoint is drained. */
  private void awaitOnly(String server) {
    long[] mark = {count(server), totalServed()};
    Deadline.in(Duration.ofSeconds(45))
        .await(
            "only " + server + " serves",
            () -> {
              long ours = count(server) - mark[0];
              long all = totalServed() - mark[1];
              if (ours != all) {
                mark[0] = count(server);
                mark[1] = totalServed();
                return false;
              }
              return ours >= 50;
            },
            () -> "served: " + servedBy);
  }

  private long totalServed() {
    return servedBy.values().stream().mapToLong(AtomicLong::get).sum();
  }
}
