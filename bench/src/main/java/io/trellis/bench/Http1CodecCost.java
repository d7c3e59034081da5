package io.trellis.bench;

import com.typesafe.config.ConfigFactory;
import io.trellis.proxy.http1.HeadParser;
import io.trellis.proxy.http1.Http1Decoder;
import io.trellis.proxy.http1.Http1Encoder;
import io.trellis.proxy.http1.Http1Part.Head;
import java.lang.management.ManagementFactory;
import java.util.AbstractQueue;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * What the HTTP/1.1 codec alone costs per request and hop, without sockets (bench/splice-cost's
 * {@code http1-loop} against {@code stage-loop-direct} gives it with the transport, on a machine
 * whose load moves those figures): CPU nanoseconds and bytes allocated per request of the work one
 * hop of {@code Http1LoopSplice} does for one wrk request and one nginx response.
 *
 * <ul>
 *   <li>{@code functions}: {@link HeadParser#request}, {@link Http1Encoder#head}, {@link
 *       HeadParser#response}, {@link Http1Encoder#head} on this thread (exact allocation).
 *   <li>{@code stages}: the same bytes through {@link Http1Decoder#requests} then {@link
 *       Http1Encoder}, and {@link Http1Decoder#responses} then {@link Http1Encoder}, as streams
 *       (what the relay's graph adds: per-element interpreter work, Data and End parts).
 * </ul>
 *
 * <p>Usage: {@code Http1CodecCost [ROUNDS]}; prints the median of the rounds. Run it pinned
 * ({@code taskset -c 1}) with the proxy's JVM options for figures comparable between builds.
 */
public final class Http1CodecCost {
  private Http1CodecCost() {}

  static volatile long encoded;

  /** What wrk sends (bench/splice-cost). */
  static final ByteString REQUEST =
      ByteString.fromString("GET / HTTP/1.1\r\nHost: 127.0.0.31:4140\r\n\r\n");

  private static final String BODY =
      "trellis-bench backend: a small fixed body of about one hundred bytes.................\n";

  /** What the splice-cost nginx backend answers, head and body in one read. */
  static final ByteString RESPONSE =
      ByteString.fromString(
          "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 01:00:00 GMT\r\n"
              + "Content-Type: text/plain\r\nContent-Length: "
              + BODY.length()
              + "\r\nConnection: keep-alive\r\n\r\n"
              + BODY);

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    ActorSystem system = ActorSystem.create("http1-codec-cost", ConfigFactory.load());
    Materializer mat = Materializer.matFromSystem(system);
    try {
      int head = REQUEST.size();
      ByteString responseHead = RESPONSE.take(RESPONSE.size() - BODY.length());
      Runnable functions =
          () -> {
            try {
              long bytes = 0;
              for (int i = 0; i < 100_000; i++) {
                Head req = HeadParser.request(REQUEST, HeadParser.Limits.defaults());
                bytes += Http1Encoder.head(req).size();
                Head resp = HeadParser.response(responseHead, false, HeadParser.Limits.defaults());
                bytes += Http1Encoder.head(resp).size();
              }
              encoded = bytes; // kept, so that the work is not optimized away
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          };
      Runnable stages =
          () -> {
            int n = 100_000;
            Source.repeat(REQUEST)
                .take(n)
                .via(Http1Decoder.requests(HeadParser.Limits.defaults()))
                .via(new Http1Encoder())
                .runWith(Sink.ignore(), mat)
                .toCompletableFuture()
                .join();
            Source.repeat(RESPONSE)
                .take(n)
                .via(Http1Decoder.responses(new Always("GET"), HeadParser.Limits.defaults()))
                .via(new Http1Encoder())
                .runWith(Sink.ignore(), mat)
                .toCompletableFuture()
                .join();
          };
      System.out.printf(
          Locale.ROOT, "request %d B, response %d B (head %d B)%n", head, RESPONSE.size(),
          responseHead.size());
      measure("functions", functions, rounds);
      measure("stages", stages, rounds);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Runs {@code work} (100,000 requests) for warm-up, then {@code rounds} measured times. */
  private static void measure(String name, Runnable work, int rounds) {
    for (int i = 0; i < 5; i++) {
      work.run();
    }
    double[] ns = new double[rounds];
    double[] bytes = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long cpu0 = OS.getProcessCpuTime();
      long alloc0 = allocated();
      work.run();
      bytes[r] = (allocated() - alloc0) / 100_000.0;
      ns[r] = (OS.getProcessCpuTime() - cpu0) / 100_000.0;
    }
    Arrays.sort(ns);
    Arrays.sort(bytes);
    System.out.printf(
        Locale.ROOT,
        "%-10s %7.2f us CPU/request (min %.2f)  %7.0f B allocated/request (min %.0f)%n",
        name, ns[rounds / 2] / 1000, ns[0] / 1000, bytes[rounds / 2], bytes[0]);
  }

  /** Bytes allocated so far by every live thread. */
  private static long allocated() {
    long[] ids = THREADS.getAllThreadIds();
    long sum = 0;
    for (long a : THREADS.getThreadAllocatedBytes(ids)) {
      sum += Math.max(a, 0);
    }
    return sum;
  }

  /** The request methods queue of a client that only sends {@code method}. */
  private static final class Always extends AbstractQueue<String> {
    private final String method;

    Always(String method) {
      this.method = method;
    }

    @Override
    public Iterator<String> iterator() {
      return Collections.emptyIterator();
    }

    @Override
    public int size() {
      return 1;
    }

    @Override
    public boolean offer(String s) {
      return true;
    }

    @Override
    public String poll() {
      return method;
    }

    @Override
    public String peek() {
      return method;
    }
  }
}
