package io.trellis.tests.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.backend.Backend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Steady HTTP/1.1 traffic through a client's outbound proxy while a scenario changes the mesh
 * under it: every response is checked and counted by the backend that served it ({@link
 * Backend#SERVED_BY}), every failure is kept. Bounded in count and time; {@link #close()} stops it.
 */
public final class SteadyTraffic implements AutoCloseable {
  private static final int MAX_REQUESTS_PER_WORKER = 5_000;
  // Bounds a scenario that forgets to stop it; the identity rotation scenario runs ~2 minutes.
  private static final Duration MAX_RUN = Duration.ofSeconds(240);

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final Target target;
  private final String path;
  private final int ratePerWorker;
  private final Duration requestTimeout;
  private final boolean bodyNamesServer;
  private final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
  private final AtomicLong completed = new AtomicLong();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> workers = new ArrayList<>();

  /**
   * @param ratePerWorker requests per second per worker, or 0 for back to back
   * @param bodyNamesServer the body must also name the backend its header names (a /whoami path)
   */
  private SteadyTraffic(
      Target target,
      String path,
      int ratePerWorker,
      Duration requestTimeout,
      boolean bodyNamesServer) {
    this.target = target;
    this.path = path;
    this.ratePerWorker = ratePerWorker;
    this.requestTimeout = requestTimeout;
    this.bodyNamesServer = bodyNamesServer;
  }

  /** Starts {@code workers} threads sending GET {@code path} to {@code target}. */
  public static SteadyTraffic start(
      Target target,
      String path,
      int workers,
      int ratePerWorker,
      Duration requestTimeout,
      boolean bodyNamesServer) {
    SteadyTraffic traffic =
        new SteadyTraffic(target, path, ratePerWorker, requestTimeout, bodyNamesServer);
    for (int w = 0; w < workers; w++) {
      Thread t = new Thread(traffic::run, "steady-traffic-" + w);
      traffic.workers.add(t);
      t.start();
    }
    return traffic;
  }

  /**
   * A first 200 along each path a scenario will use, before anything is counted: a fresh proxy
   * JVM compiles its connection code on its first requests, which on a loaded machine can outlast
   * the inbound connect timeout (300 ms) and answer 504. That is a cold-start matter, kept out of
   * the scenario's count (and printed). Servers are warmed straight at their inbound proxy, since
   * some serve nothing through the mesh yet.
   */
  public static void warmUp(MeshFixture mesh, Target target, List<String> servers) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<URI> paths = new ArrayList<>();
    paths.add(target.uri("/whoami"));
    for (String server : servers) {
      paths.add(URI.create("http://" + mesh.address(server) + ":4143/whoami"));
    }
    for (URI uri : paths) {
      String[] last = {"none"};
      Deadline.in(Duration.ofSeconds(30))
          .await(
              "a first 200 from " + uri,
              () -> {
                try {
                  HttpResponse<String> r =
                      client.send(
                          HttpRequest.newBuilder(uri)
                              .header("Host", target.authority())
                              .timeout(Duration.ofSeconds(5))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  last[0] = r.statusCode() + " " + r.body();
                } catch (Exception e) {
                  last[0] = e.toString();
                }
                if (!last[0].startsWith("200 ")) {
                  System.out.println("warm-up " + uri + ": " + last[0].trim());
                }
                return last[0].startsWith("200 ");
              },
              () -> last[0]);
    }
  }

  private void run() {
    Deadline deadline = Deadline.in(MAX_RUN);
    long interval = ratePerWorker > 0 ? TimeUnit.SECONDS.toNanos(1) / ratePerWorker : 0;
    long next = System.nanoTime();
    for (int i = 0; i < MAX_REQUESTS_PER_WORKER && !stop.get() && !deadline.passed(); i++) {
      HttpRequest get =
          HttpRequest.newBuilder(target.uri(path))
              .header("Host", target.authority())
              .timeout(requestTimeout)
              .build();
      try {
        HttpResponse<String> r = client.send(get, HttpResponse.BodyHandlers.ofString());
        String server = r.headers().firstValue(Backend.SERVED_BY).orElse("?");
        if (r.statusCode() != 200 || (bodyNamesServer && !r.body().contains(server))) {
          failures.add("request " + i + ": " + r.statusCode() + " from " + server + ": " + r.body());
        } else {
          servedBy.computeIfAbsent(server, k -> new AtomicLong()).incrementAndGet();
        }
      } catch (Exception e) {
        failures.add("request " + i + ": " + e);
      }
      completed.incrementAndGet();
      if (interval > 0) {
        next += interval;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait); // pacing the load, not waiting for state
        } else {
          next = System.nanoTime();
        }
      }
    }
  }

  /** Responses counted for {@code server} so far. */
  public long count(String server) {
    AtomicLong n = servedBy.get(server);
    return n == null ? 0 : n.get();
  }

  /** Requests finished so far, failed or not. */
  public long completed() {
    return completed.get();
  }

  public List<String> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }

  public Map<String, AtomicLong> servedBy() {
    return servedBy;
  }

  /**
   * Waits until {@code server} has served {@code atLeast} requests (or a request failed), then
   * asserts that none failed.
   */
  public void awaitServed(
      String server, long atLeast, Duration within, Supplier<String> diagnostics) {
    Deadline.in(within)
        .await(
            server + " served " + atLeast + " requests",
            () -> count(server) >= atLeast || !failures.isEmpty(),
            () -> "served: " + servedBy + ", failures: " + failures + "\n" + diagnostics.get());
    assertEquals(List.of(), failures(), () -> "failed requests\n" + diagnostics.get());
  }

  /** Waits until {@code inARow} responses in a row came from {@code server}: the old one drained. */
  public void awaitOnly(String server, int inARow, Duration within) {
    long[] mark = {count(server), totalServed()};
    Deadline.in(within)
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
              return ours >= inARow;
            },
            () -> "served: " + servedBy);
  }

  private long totalServed() {
    return servedBy.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /** Stops the workers and waits for them (a request in flight finishes first). */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    for (Thread t : workers) {
      t.join(TimeUnit.SECONDS.toMillis(60));
      assertTrue(!t.isAlive(), "the traffic loop " + t.getName() + " stops");
    }
  }
}
