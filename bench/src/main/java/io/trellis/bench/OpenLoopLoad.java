package io.trellis.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Open-loop, constant-rate HTTP/1.1 load generator.
 *
 * <p>Why it exists: wrk is closed-loop (a slow response delays the next request, so a stall is
 * recorded once instead of for every request that should have been sent during it: coordinated
 * omission), and Debian ships neither wrk2 nor another generator that corrects for that.
 *
 * <p>How: a timer thread releases request "tickets" at their intended send times
 * (start + k/rate), independent of how the server is doing. The I/O thread hands each ticket to
 * an idle keep-alive connection, or keeps it queued until one frees up. Latency is measured from
 * the intended send time, so queueing caused by a slow server counts against it. One request in
 * flight per connection (no pipelining), as a real HTTP/1.1 client pool behaves.
 */
public final class OpenLoopLoad {

  // ---- options ----
  private String host = "127.0.0.1";
  private int port = 8080;
  private String hostHeader;
  private String path = "/";
  private double rate = 1000;
  private double durationS = 10;
  private double warmupS = 2;
  private int connections = 32;
  private double drainS = 10;
  private Path histOut;
  private int prime = 20000;
  private long spinUs = 0;
  private double primeMaxS = 10;
  private Path slowOut;
  private long slowUs = 1000;

  // ---- state, owned by the I/O thread unless noted ----
  private final ConcurrentLinkedQueue<Long> released = new ConcurrentLinkedQueue<>(); // timer -> io
  private final ArrayDeque<Long> pending = new ArrayDeque<>(); // tickets waiting for a connection
  private final ArrayDeque<Conn> idle = new ArrayDeque<>();
  private Selector selector;
  private InetSocketAddress target;
  private byte[] request;
  private volatile boolean timerDone;

  private final Histogram corrected = new Histogram(3_600_000_000L, 3); // µs, from intended time
  private final Histogram service = new Histogram(3_600_000_000L, 3); // µs, from actual send
  private long measureFromNs;
  private long measureToNs;
  private long completed;
  private long non2xx;
  private long ioErrors;
  private long reconnects;
  private long unfinished;
  private long scheduledInWindow;
  private long responsesAll; // priming and warm-up included: the denominator for proxy CPU cost

  public static void main(String[] args) throws Exception {
    OpenLoopLoad g = new OpenLoopLoad();
    g.parse(args);
    g.run();
  }

  private void parse(String[] a) {
    for (int i = 0; i < a.length; i++) {
      String k = a[i];
      String v = i + 1 < a.length ? a[i + 1] : null;
      switch (k) {
        case "--target" -> {
          int c = v.lastIndexOf(':');
          host = v.substring(0, c);
          port = Integer.parseInt(v.substring(c + 1));
          i++;
        }
        case "--host-header" -> { hostHeader = v; i++; }
        case "--path" -> { path = v; i++; }
        case "--rate" -> { rate = Double.parseDouble(v); i++; }
        case "--duration" -> { durationS = Double.parseDouble(v); i++; }
        case "--warmup" -> { warmupS = Double.parseDouble(v); i++; }
        case "--connections" -> { connections = Integer.parseInt(v); i++; }
        case "--drain" -> { drainS = Double.parseDouble(v); i++; }
        case "--hist-out" -> { histOut = Path.of(v); i++; }
        case "--prime" -> { prime = Integer.parseInt(v); i++; }
        case "--spin-us" -> { spinUs = Long.parseLong(v); i++; }
        case "--prime-max-s" -> { primeMaxS = Double.parseDouble(v); i++; }
        case "--slow-out" -> { slowOut = Path.of(v); i++; }
        case "--slow-us" -> { slowUs = Long.parseLong(v); i++; }
        default -> {
          System.err.println("usage: OpenLoopLoad --target HOST:PORT [--host-header H] [--path P]"
              + " --rate RPS --duration S [--warmup S] [--connections N] [--drain S]"
              + " [--hist-out FILE] [--prime N] [--prime-max-s S] [--spin-us N]"
              + " [--slow-out FILE [--slow-us N]]");
          System.exit(2);
        }
      }
    }
    if (hostHeader == null) hostHeader = host + ":" + port;
  }

  private void run() throws Exception {
    target = new InetSocketAddress(host, port);
    request = ("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader
        + "\r\nUser-Agent: trellis-bench\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    selector = Selector.open();
    for (int i = 0; i < connections; i++) openConnection();
    // Connect everything before the clock starts so connection setup is not measured.
    long connectDeadline = System.nanoTime() + 5_000_000_000L;
    while (idle.size() < connections && System.nanoTime() < connectDeadline) {
      selector.select(100);
      handleKeys();
    }
    if (idle.size() < connections) {
      fail("only " + idle.size() + " of " + connections + " connections established to " + target);
    }

    primeJit();

    long start = System.nanoTime() + 20_000_000L;
    long total = (long) Math.ceil((warmupS + durationS) * rate);
    measureFromNs = start + (long) (warmupS * 1e9);
    measureToNs = start + (long) ((warmupS + durationS) * 1e9);
    double periodNs = 1e9 / rate;

    Thread timer = new Thread(() -> release(start, periodNs, total), "ticket-timer");
    timer.setDaemon(true);
    timer.start();

    long drainDeadline = measureToNs + (long) (drainS * 1e9);
    while (turn()) {
      boolean allSent = timerDone && released.isEmpty() && pending.isEmpty();
      if (allSent && idle.size() == connectionsOpen()) break;
      if (System.nanoTime() > drainDeadline) break;
    }
    // Whatever is still queued or in flight at the drain deadline is recorded with the latency it
    // had reached, so a stalled server cannot make its tail disappear from the histogram.
    long now = System.nanoTime();
    for (Long t : pending) recordUnfinished(t, now);
    for (SelectionKey k : selector.keys()) {
      Conn c = (Conn) k.attachment();
      if (c != null && c.busy) recordUnfinished(c.intendedNs, now);
    }
    report();
    System.exit(0);
  }

  /**
   * One turn of the I/O thread: responses read, released tickets queued, requests sent. A method
   * of its own, called by the priming burst as by the measured run, so the JIT compiles it (and
   * what it inlines) while priming. When the loop's body was inline in {@link #run}, the JIT
   * compiled it only by on-stack replacement of the whole long-running loop, 10-20 s into a run:
   * a C2 compile on the load core in the middle of the measured window, charged to the path under
   * test (bench/RESULTS.md, session 5).
   */
  private boolean turn() throws IOException {
    selector.select(10);
    handleKeys();
    Long t;
    while ((t = released.poll()) != null) {
      if (t >= measureFromNs && t < measureToNs) scheduledInWindow++;
      pending.addLast(t);
    }
    dispatch();
    return true;
  }

  /**
   * Sends {@code prime} requests back to back before the clock starts, none recorded. Why: until
   * the JIT has compiled the send/parse path, this generator itself adds milliseconds, and the
   * compiler threads compete for the load core during the first seconds of a run.
   */
  private void primeJit() throws IOException {
    measureFromNs = Long.MAX_VALUE; // nothing recorded while priming
    measureToNs = Long.MIN_VALUE;
    long now = System.nanoTime();
    for (int i = 0; i < prime; i++) pending.addLast(now);
    // Bounded in time too: through a slow (or cold) proxy the burst must not eat the run's budget.
    long deadline = now + (long) (primeMaxS * 1e9);
    while (!pending.isEmpty() && System.nanoTime() < deadline) {
      dispatch();
      turn();
    }
    pending.clear();
    // Let the requests still in flight finish, so the measured run starts with idle connections.
    long settle = System.nanoTime() + 5_000_000_000L;
    while (idle.size() < connectionsOpen() && System.nanoTime() < settle) {
      selector.select(10);
      handleKeys();
    }
    LockSupport.parkNanos(300_000_000L); // let queued compilations finish before measuring
  }

  /** Timer thread: release tickets at start + k*period; never waits for responses. */
  private void release(long start, double periodNs, long total) {
    // A late release is charged to the path under test. parkNanos overshoots by the thread's timer
    // slack (50 µs by default): bench/run lowers it to 1 µs via /proc/self/timerslack_ns. Spinning
    // the last --spin-us would remove the rest, but it keeps the load core busy (taking CPU from
    // the backend that shares it) and makes latencies look lower than any real idle client sees,
    // so it is off by default.
    final long spinNs = spinUs * 1000L;
    for (long k = 0; k < total; k++) {
      releaseAt(start + (long) (k * periodNs), spinNs);
    }
    timerDone = true;
    selector.wakeup();
  }

  /** Waits until {@code due} and releases its ticket (a method of its own: see {@link #turn}). */
  private void releaseAt(long due, long spinNs) {
    long wait;
    while ((wait = due - System.nanoTime()) > spinNs) LockSupport.parkNanos(wait - spinNs);
    while (System.nanoTime() < due) Thread.onSpinWait();
    released.add(due);
    selector.wakeup();
  }

  private int open;

  private int connectionsOpen() {
    return open;
  }

  private void openConnection() throws IOException {
    SocketChannel ch = SocketChannel.open();
    ch.configureBlocking(false);
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    Conn c = new Conn(ch);
    open++;
    if (ch.connect(target)) {
      ch.register(selector, SelectionKey.OP_READ, c);
      idle.addLast(c);
    } else {
      ch.register(selector, SelectionKey.OP_CONNECT, c);
    }
  }

  private void handleKeys() {
    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
    while (it.hasNext()) {
      SelectionKey k = it.next();
      it.remove();
      Conn c = (Conn) k.attachment();
      try {
        if (k.isConnectable()) {
          c.ch.finishConnect();
          k.interestOps(SelectionKey.OP_READ);
          idle.addLast(c);
        } else if (k.isReadable()) {
          onReadable(c, k);
        }
      } catch (IOException | RuntimeException e) {
        broken(c, k);
      }
    }
  }

  private void dispatch() {
    while (!pending.isEmpty() && !idle.isEmpty()) {
      Conn c = idle.pollFirst();
      long intended = pending.pollFirst();
      c.busy = true;
      c.intendedNs = intended;
      c.sentNs = System.nanoTime();
      c.resetParser();
      try {
        ByteBuffer out = ByteBuffer.wrap(request);
        // A ~100-byte request always fits an empty socket buffer; loop only for safety.
        int spins = 0;
        while (out.hasRemaining()) {
          c.ch.write(out);
          if (out.hasRemaining() && ++spins > 1000) throw new IOException("send buffer full");
        }
      } catch (IOException e) {
        // Put the ticket back: it has not been answered, and its latency keeps growing.
        pending.addFirst(intended);
        c.busy = false;
        broken(c, c.ch.keyFor(selector));
      }
    }
  }

  private void onReadable(Conn c, SelectionKey k) throws IOException {
    int n = c.ch.read(c.in);
    if (n < 0) {
      broken(c, k); // counts the in-flight request, if any, as an I/O error
      return;
    }
    if (!c.busy) {
      // Bytes nobody asked for (or an idle-close notice): the connection is no longer trustworthy.
      ioErrors++;
      broken(c, k);
      return;
    }
    if (c.parse()) {
      long now = System.nanoTime();
      record(c.intendedNs, c.sentNs, now, c.status);
      c.busy = false;
      if (c.closeAfter) {
        broken(c, k);
      } else {
        idle.addLast(c);
      }
    }
  }

  /** Drop a connection and open a replacement so the pool size stays constant. */
  private void broken(Conn c, SelectionKey k) {
    if (c.busy) {
      // The request on it failed: count it and record its latency so far.
      ioErrors++;
      recordFailed(c.intendedNs, System.nanoTime());
      c.busy = false;
    }
    idle.remove(c);
    if (k != null) k.cancel();
    try {
      c.ch.close();
    } catch (IOException ignored) {
      // already gone
    }
    open--;
    try {
      reconnects++;
      openConnection();
    } catch (IOException e) {
      // Next dispatch will find fewer connections; reported via ioErrors and reconnects.
    }
  }

  private boolean inWindow(long intended) {
    return intended >= measureFromNs && intended < measureToNs;
  }

  private void record(long intended, long sent, long now, int status) {
    responsesAll++;
    if (!inWindow(intended)) return;
    completed++;
    if (status < 200 || status > 299) non2xx++;
    corrected.recordValue(Math.max(1, (now - intended) / 1000));
    service.recordValue(Math.max(1, (now - sent) / 1000));
    noteSlow(intended, sent, now);
  }

  // Requests slower than --slow-us, for finding what delayed them (GC logs, perf sched with
  // -k CLOCK_MONOTONIC: System.nanoTime() is that clock on Linux). Bounded: the first 200,000.
  private long[] slow = new long[0];
  private int slowCount;

  private void noteSlow(long intended, long sent, long now) {
    if (slowOut == null || (now - intended) / 1000 < slowUs || slowCount >= 200_000 * 3) return;
    if (slowCount == slow.length) slow = java.util.Arrays.copyOf(slow, Math.max(3072, slow.length * 2));
    slow[slowCount++] = intended;
    slow[slowCount++] = sent;
    slow[slowCount++] = now;
  }

  private void writeSlow() throws IOException {
    if (slowOut == null) return;
    StringBuilder b = new StringBuilder("# intended_ns sent_ns done_ns (System.nanoTime, CLOCK_MONOTONIC)\n");
    long wall = System.currentTimeMillis();
    b.append("# epoch_ms ").append(wall).append(" nano ").append(System.nanoTime()).append('\n');
    for (int i = 0; i < slowCount; i += 3) {
      b.append(slow[i]).append(' ').append(slow[i + 1]).append(' ').append(slow[i + 2]).append('\n');
    }
    Files.writeString(slowOut, b.toString());
  }

  private void recordFailed(long intended, long now) {
    if (!inWindow(intended)) return;
    corrected.recordValue(Math.max(1, (now - intended) / 1000));
  }

  private void recordUnfinished(long intended, long now) {
    if (!inWindow(intended)) return;
    unfinished++;
    corrected.recordValue(Math.max(1, (now - intended) / 1000));
  }

  private static String pct(Histogram h) {
    return String.format(Locale.ROOT,
        "{\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f, \"mean\": %.3f}",
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0, h.getMean() / 1000.0);
  }

  private void report() throws IOException {
    PrintStream o = System.out;
    o.printf(Locale.ROOT,
        "{\"target\": \"%s:%d\", \"rate\": %.1f, \"duration_s\": %.1f, \"warmup_s\": %.1f,"
            + " \"connections\": %d, \"scheduled\": %d, \"completed\": %d, \"achieved_rps\": %.1f,"
            + " \"non2xx\": %d, \"io_errors\": %d, \"unfinished\": %d, \"reconnects\": %d,"
            + " \"responses_all\": %d,"
            + " \"latency_ms\": %s, \"service_time_ms\": %s}%n",
        host, port, rate, durationS, warmupS, connections, scheduledInWindow, completed,
        completed / durationS, non2xx, ioErrors, unfinished, reconnects, responsesAll, pct(corrected),
        pct(service));
    if (histOut != null) {
      try (PrintStream p = new PrintStream(Files.newOutputStream(histOut))) {
        corrected.outputPercentileDistribution(p, 1000.0);
      }
    }
    writeSlow();
  }

  private static void fail(String why) {
    System.out.println("{\"error\": \"" + why.replace("\"", "'") + "\"}");
    System.exit(1);
  }

  /**
   * One keep-alive connection with a minimal incremental HTTP/1.1 response parser. Package-private
   * so the parser can be tested without sockets.
   */
  static final class Conn {
    final SocketChannel ch;
    final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    boolean busy;
    long intendedNs;
    long sentNs;
    // parser state
    int state; // 0 headers, 1 fixed body, 2 chunk size line, 3 chunk data, 4 trailers, 5 until close
    long remaining;
    int status;
    boolean closeAfter;

    Conn(SocketChannel ch) {
      this.ch = ch;
    }

    void resetParser() {
      state = 0;
      remaining = 0;
      status = 0;
      closeAfter = false;
      in.clear();
    }

    /** Consumes buffered bytes; true when one whole response has been read. */
    boolean parse() throws IOException {
      while (true) {
        switch (state) {
          case 0 -> {
            int end = indexOf(in, "\r\n\r\n");
            if (end < 0) {
              if (!in.hasRemaining()) throw new IOException("response head too large");
              return false;
            }
            String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            consume(end + 4);
            parseHead(head);
            if (state == 5) throw new IOException("response without length framing");
            if (state == 1 && remaining == 0) return true;
          }
          case 1 -> {
            long take = Math.min(remaining, in.position());
            consume((int) take);
            remaining -= take;
            if (remaining == 0) return true;
            return false;
          }
          case 2 -> {
            int eol = indexOf(in, "\r\n");
            if (eol < 0) return false;
            String line = new String(in.array(), 0, eol, StandardCharsets.ISO_8859_1);
            consume(eol + 2);
            int semi = line.indexOf(';');
            long size = Long.parseLong((semi >= 0 ? line.substring(0, semi) : line).trim(), 16);
            if (size == 0) {
              state = 4;
            } else {
              remaining = size + 2; // data plus its CRLF
              state = 3;
            }
          }
          case 3 -> {
            long take = Math.min(remaining, in.position());
            consume((int) take);
            remaining -= take;
            if (remaining > 0) return false;
            state = 2;
          }
          case 4 -> {
            int eol = indexOf(in, "\r\n");
            if (eol < 0) return false;
            consume(eol + 2);
            if (eol == 0) return true; // empty line ends the trailers
          }
          default -> throw new IOException("bad parser state");
        }
      }
    }

    private void parseHead(String head) throws IOException {
      String[] lines = head.split("\r\n");
      String[] sl = lines[0].split(" ", 3);
      if (sl.length < 2 || !sl[0].startsWith("HTTP/1.")) throw new IOException("bad status line");
      status = Integer.parseInt(sl[1]);
      boolean http10 = sl[0].equals("HTTP/1.0");
      long contentLength = -1;
      boolean chunked = false;
      boolean close = http10;
      for (int i = 1; i < lines.length; i++) {
        String l = lines[i];
        int c = l.indexOf(':');
        if (c <= 0) continue;
        String name = l.substring(0, c).trim().toLowerCase(Locale.ROOT);
        String value = l.substring(c + 1).trim().toLowerCase(Locale.ROOT);
        switch (name) {
          case "content-length" -> contentLength = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.endsWith("chunked");
          case "connection" -> {
            if (value.contains("close")) close = true;
            if (value.contains("keep-alive")) close = false;
          }
          default -> { }
        }
      }
      closeAfter = close;
      if (chunked) {
        state = 2;
      } else if (contentLength >= 0) {
        state = 1;
        remaining = contentLength;
      } else if (status == 204 || status == 304 || status / 100 == 1) {
        state = 1;
        remaining = 0;
      } else {
        state = 5;
      }
    }

    private void consume(int n) {
      in.flip();
      in.position(n);
      in.compact();
    }

    private static int indexOf(ByteBuffer b, String pat) {
      byte[] a = b.array();
      int lim = b.position() - pat.length();
      outer:
      for (int i = 0; i <= lim; i++) {
        for (int j = 0; j < pat.length(); j++) {
          if (a[i + j] != pat.charAt(j)) continue outer;
        }
        return i;
      }
      return -1;
    }
  }
}
