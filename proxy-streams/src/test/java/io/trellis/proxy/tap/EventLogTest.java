package io.trellis.proxy.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HostPort;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TlsLabels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The event log: ring bound, replay since, live fan-out, lossy slow subscribers, max-rps. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventLogTest {
  static final Duration WAIT = Duration.ofSeconds(5);
  final ActorTestKit testKit = ActorTestKit.create();
  final TapSettings settings = new TapSettings(100, Duration.ofMinutes(10), Duration.ofMillis(5), 50, 4);
  /** The max-rps limiter's clock: only moves when a test moves it. */
  final AtomicLong nanos = new AtomicLong();

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void ringKeepsOnlyTheNewestCapacityEvents() {
    EventRing ring = new EventRing(4);
    List<TapRecord> appended = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      TapRecord r = req(ring, "/r" + i, System.currentTimeMillis());
      ring.append(r);
      appended.add(r);
    }
    assertEquals(6, ring.tail());
    List<TapRecord> read = new ArrayList<>();
    long next = ring.read(0, read::add);
    assertEquals(10, next);
    assertEquals(
        appended.subList(6, 10).stream().map(EventLogTest::describe).toList(),
        read.stream().map(EventLogTest::describe).toList());
  }

  @Test
  void responseEventsReadOutOfTheRingCarryTheirRequestsFields() {
    EventRing ring = new EventRing(8);
    TapRecord req = req(ring, "/a", "POST", 1000);
    ring.append(req);
    ring.append(TapRecord.rsp(req, 503, 2_000_000, "14", 1001));
    ring.append(TapRecord.end(req, 503, 30_000, "14", 77, "reset", 1002));
    List<TapRecord> read = new ArrayList<>();
    ring.read(0, read::add);
    assertEquals(
        List.of(
            "REQ 1 OUTBOUND 127.0.0.1:40000 127.0.0.2:4143 POST web-svc:80 /a http 1000 0 0 null 0 null",
            "RSP 1 OUTBOUND 127.0.0.1:40000 127.0.0.2:4143 POST web-svc:80 /a http 1001 503 2000000 14 0 null",
            "END 1 OUTBOUND 127.0.0.1:40000 127.0.0.2:4143 POST web-svc:80 /a http 1002 503 30000 14 77 reset"),
        read.stream().map(EventLogTest::describe).toList());
  }

  /** appendResponse and appendEnd write what appending the rsp and end records would. */
  @Test
  void appendingResponseAndEndWithoutRecordsReadsTheSame() {
    EventRing withRecords = new EventRing(8);
    EventRing without = new EventRing(8);
    TapRecord req = req(withRecords, "/a", "POST", 1000);
    for (EventRing ring : List.of(withRecords, without)) {
      ring.append(req);
    }
    withRecords.append(TapRecord.rsp(req, 503, 2_000_000, "14", 1001));
    without.appendResponse(req, 503, 2_000_000, "14", 1001);
    withRecords.append(TapRecord.end(req, 503, 30_000, "14", 77, "reset", 1002));
    without.appendEnd(req, 503, 30_000, "14", 77, "reset", 1002);
    List<String> expected = new ArrayList<>();
    withRecords.read(0, r -> expected.add(describe(r)));
    List<String> actual = new ArrayList<>();
    without.read(0, r -> actual.add(describe(r)));
    assertEquals(3, expected.size());
    assertEquals(expected, actual);
  }

  /**
   * A slot copies path and authority as Latin-1 bytes: what is read back is the text appended,
   * whatever its length (empty, growing the slot's buffer, past {@link EventRing#MAX_TEXT}), its
   * characters (Latin-1 or not) or the text the slot held before (a shorter one after a longer).
   */
  @Test
  void pathAndAuthorityReadBackAsAppendedWhateverTheirLengthAndCharacters() {
    String longPath = "/" + "p".repeat(EventRing.MAX_TEXT);
    List<String[]> cases =
        List.of(
            new String[] {"/", "web-svc:80"},
            new String[] {"", ""},
            new String[] {"/a/" + "x".repeat(300) + "?q=1", "a-much-longer-authority.ns.svc.cluster.local:8080"},
            new String[] {"/short", "s:1"},
            new String[] {"/caf\u00e9/\u00ff", "h\u00e9:80"},
            new String[] {"/\u4e2d\u6587", "web-svc:80"},
            new String[] {"/x", "\u4e2d.svc:80"},
            new String[] {longPath, "web-svc:80"},
            new String[] {"/y", "z".repeat(EventRing.MAX_TEXT)},
            new String[] {"/after-long", "web-svc:80"},
            new String[] {"/no-authority", null},
            new String[] {null, "only-authority:80"});
    EventRing ring = new EventRing(3); // every slot is reused several times
    for (String[] c : cases) {
      TapRecord req =
          TapRecord.req(ring.nextRequestId(), Direction.INBOUND, "s", "d", TlsLabels.DISABLED,
              "GET", c[1], c[0], "http", 1);
      ring.append(req);
      List<TapRecord> read = new ArrayList<>();
      ring.read(ring.head() - 1, read::add);
      assertEquals(1, read.size());
      assertEquals(c[0], read.get(0).path(), "path of " + java.util.Arrays.toString(c));
      assertEquals(c[1], read.get(0).authority(), "authority of " + java.util.Arrays.toString(c));
      ring.append(TapRecord.end(req, 200, 1, null, 0, null, 2));
      read.clear();
      ring.read(ring.head() - 1, read::add);
      assertEquals(c[0], read.get(0).path(), "end event's path");
      assertEquals(c[1], read.get(0).authority(), "end event's authority");
    }

    // The slot's buffer grows while the authority is copied: the path before it is kept.
    EventRing fresh = new EventRing(1);
    String path = "/" + "p".repeat(40);
    String authority = "a".repeat(200) + ":80";
    fresh.append(TapRecord.req(1, Direction.INBOUND, "s", "d", TlsLabels.DISABLED, "GET",
        authority, path, "http", 1));
    List<TapRecord> read = new ArrayList<>();
    fresh.read(0, read::add);
    assertEquals(path, read.get(0).path());
    assertEquals(authority, read.get(0).authority());
  }

  /**
   * Writers on several threads lapping a small ring while it is read: every event read is one
   * event as written (its fields all from the same append), never a mix of two, and in order.
   */
  @Test
  void concurrentWritersNeverProduceAMixedEvent() throws Exception {
    EventRing ring = new EventRing(16);
    int writers = 3;
    int perWriter = 200_000;
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> {
        for (int i = 0; i < perWriter; i++) {
          // status, method and path all encode (writer, i): a mixed event cannot agree with itself
          TapRecord r = TapRecord.req(i, Direction.OUTBOUND, "w" + writer, "d", TlsLabels.DISABLED,
              "M" + writer, "w" + writer + ".svc:80", "/" + writer + "/" + i, "http", i);
          ring.append(r);
        }
      });
      threads.add(t);
      t.start();
    }
    long from = 0;
    long seen = 0;
    long[] lastPerWriter = new long[writers];
    java.util.Arrays.fill(lastPerWriter, -1);
    List<String> bad = new ArrayList<>();
    while (threads.stream().anyMatch(Thread::isAlive) || from < ring.head()) {
      from = ring.read(from, r -> {
        int writer = Integer.parseInt(r.method().substring(1));
        String expectedPath = "/" + writer + "/" + r.id();
        if (!r.path().equals(expectedPath) || !r.src().equals("w" + writer)
            || !r.authority().equals("w" + writer + ".svc:80") || r.wallMillis() != r.id()) {
          bad.add(describe(r));
        }
        if (r.id() <= lastPerWriter[writer]) {
          bad.add("out of order: " + describe(r));
        }
        lastPerWriter[writer] = r.id();
      });
      seen++;
    }
    for (Thread t : threads) {
      t.join();
    }
    assertTrue(bad.isEmpty(), () -> bad.size() + " bad events, e.g. " + bad.get(0));
    assertTrue(seen > 0);
  }

  private static String describe(TapRecord r) {
    return r.kind() + " " + r.id() + " " + r.direction() + " " + r.src() + " " + r.dst() + " "
        + r.method() + " " + r.authority() + " " + r.path() + " " + r.scheme() + " "
        + r.wallMillis() + " " + r.status() + " " + r.nanos() + " " + r.grpcStatus() + " "
        + r.responseBytes() + " " + r.error();
  }

  @Test
  void replaysHistoryWithinSinceThenLive() {
    EventRing ring = new EventRing(100);
    ActorRef<EventLog.Command> log = testKit.spawn(EventLog.create(ring, settings, nanos::get));
    long now = System.currentTimeMillis();
    request(ring, "/old", now - 120_000, 200);
    request(ring, "/recent", now - 10_000, 200);

    var tap = subscribe(log, TapFilter.ALL, 0, 60_000, 50);
    tap.request(10);
    List<EventLog.Observed.Event> replay = events(tap, 3);
    assertTrue(replay.stream().allMatch(EventLog.Observed.Event::replay));
    assertEquals(List.of("/recent"), paths(replay));
    assertEquals(
        List.of(TapRecord.Kind.REQ, TapRecord.Kind.RSP, TapRecord.Kind.END),
        replay.stream().map(e -> e.record().kind()).toList());

    request(ring, "/live", System.currentTimeMillis(), 503);
    List<EventLog.Observed.Event> live = events(tap, 3);
    assertFalse(live.get(0).replay());
    assertEquals("/live", live.get(0).record().path());
    assertEquals(503, live.get(1).record().status());
    tap.cancel();
  }

  @Test
  void liveEventsReachEverySubscriberThatMatches() {
    EventRing ring = new EventRing(100);
    ActorRef<EventLog.Command> log = testKit.spawn(EventLog.create(ring, settings, nanos::get));
    var all = subscribe(log, TapFilter.ALL, 0, 0, 50);
    var posts = subscribe(log, new TapFilter("POST", "/api", ""), 0, 0, 50);
    all.request(100);
    posts.request(100);
    awaitSubscribed(ring, log, all);

    request(ring, "/api/vote", "POST", System.currentTimeMillis());
    request(ring, "/index.html", "GET", System.currentTimeMillis());
    request(ring, "/other", "POST", System.currentTimeMillis());

    assertEquals(List.of("/api/vote", "/index.html", "/other"), paths(events(all, 9)).stream().distinct().toList());
    assertEquals(List.of("/api/vote"), paths(events(posts, 3)).stream().distinct().toList());
    posts.expectNoMessage(Duration.ofMillis(50));
    all.cancel();
    posts.cancel();
  }

  @Test
  void slowSubscriberDropsAndCountsWithoutSlowingOthers() {
    EventRing ring = new EventRing(1000);
    ActorRef<EventLog.Command> log = testKit.spawn(EventLog.create(ring, settings, nanos::get));
    var slow = subscribe(log, TapFilter.ALL, 0, 0, 3);
    var fast = subscribe(log, TapFilter.ALL, 0, 0, 1000);
    fast.request(1000);
    awaitSubscribed(ring, log, fast);

    for (int i = 0; i < 10; i++) {
      request(ring, "/r" + i, System.currentTimeMillis(), 200);
    }
    assertEquals(30, events(fast, 30).size());
    // The slow tap never asked for anything: its queue holds the marker's 3 events, the other 30
    // were dropped and counted; once it reads, the next event comes with the count first.
    slow.request(10);
    assertEquals("/marker", events(slow, 3).get(0).record().path());
    request(ring, "/after", System.currentTimeMillis(), 200);
    EventLog.Observed notice = slow.expectNext(WAIT);
    assertInstanceOf(EventLog.Observed.Dropped.class, notice);
    assertEquals(30, ((EventLog.Observed.Dropped) notice).count());
    // its req follows (its rsp and end may find the 3-slot queue still full: lossy by design)
    assertEquals("/after", events(slow, 1).get(0).record().path());
    slow.cancel();
    fast.cancel();
  }

  @Test
  void maxRpsAdmitsThatManyRequestsPerSecondWithTheirEvents() {
    EventRing ring = new EventRing(1000);
    ActorRef<EventLog.Command> log = testKit.spawn(EventLog.create(ring, settings, nanos::get));
    var tap = subscribe(log, TapFilter.ALL, 5, 0, 1000);
    nanos.set(0);
    tap.request(1000);
    awaitSubscribed(ring, log, tap);
    nanos.addAndGet(1_000_000_000L); // the marker's token is back

    for (int i = 0; i < 20; i++) {
      request(ring, "/burst" + i, System.currentTimeMillis(), 200);
    }
    List<EventLog.Observed> got = new ArrayList<>(events(tap, 15));
    tap.expectNoMessage(Duration.ofMillis(100));
    nanos.addAndGet(1_000_000_000L); // one second later: five more
    for (int i = 0; i < 20; i++) {
      request(ring, "/later" + i, System.currentTimeMillis(), 200);
    }
    while (got.stream().filter(o -> o instanceof EventLog.Observed.Event).count() < 30) {
      got.add(tap.expectNext(WAIT));
    }
    tap.expectNoMessage(Duration.ofMillis(100));
    List<String> reqs =
        got.stream()
            .filter(o -> o instanceof EventLog.Observed.Event e && e.record().kind() == TapRecord.Kind.REQ)
            .map(o -> ((EventLog.Observed.Event) o).record().path())
            .toList();
    assertEquals(
        List.of("/burst0", "/burst1", "/burst2", "/burst3", "/burst4",
            "/later0", "/later1", "/later2", "/later3", "/later4"),
        reqs);
    long dropped =
        got.stream()
            .filter(o -> o instanceof EventLog.Observed.Dropped)
            .mapToLong(o -> ((EventLog.Observed.Dropped) o).count())
            .sum();
    assertEquals(15, dropped, "the 15 requests of the first second over the limit are counted");
    tap.cancel();
  }

  // --- helpers

  private TestSubscriber.Probe<EventLog.Observed> subscribe(
      ActorRef<EventLog.Command> log, TapFilter filter, double maxRps, long since, int queue) {
    Pair<BoundedSourceQueue<EventLog.Observed>, TestSubscriber.Probe<EventLog.Observed>> run =
        Source.<EventLog.Observed>queue(queue)
            .toMat(TestSink.create(testKit.system()), Keep.both())
            .run(testKit.system());
    log.tell(new EventLog.Subscribe(filter, maxRps, since, run.first()));
    return run.second();
  }

  /** Live starts when the subscription is processed: a marker request proves it was. */
  private void awaitSubscribed(
      EventRing ring, ActorRef<EventLog.Command> log, TestSubscriber.Probe<EventLog.Observed> tap) {
    // A marker appended before the actor handled Subscribe is not live for this tap: append
    // again until one arrives (later markers are then live too, and only add marker events).
    for (int attempt = 1; ; attempt++) {
      request(ring, "/marker", System.currentTimeMillis(), 200);
      EventLog.Observed first;
      try {
        first = tap.expectNext(java.time.Duration.ofSeconds(2));
      } catch (AssertionError notYet) {
        if (attempt == 10) {
          throw notYet;
        }
        continue;
      }
      List<EventLog.Observed.Event> marker = new ArrayList<>();
      if (first instanceof EventLog.Observed.Event e) {
        marker.add(e);
      }
      marker.addAll(events(tap, 3 - marker.size()));
      assertEquals("/marker", marker.get(0).record().path());
      return;
    }
  }

  private static List<EventLog.Observed.Event> events(
      TestSubscriber.Probe<EventLog.Observed> tap, int n) {
    List<EventLog.Observed.Event> out = new ArrayList<>();
    while (out.size() < n) {
      EventLog.Observed o = tap.expectNext(WAIT);
      if (o instanceof EventLog.Observed.Event e) {
        out.add(e);
      }
    }
    return out;
  }

  private static List<String> paths(List<EventLog.Observed.Event> events) {
    return events.stream().map(e -> e.record().path()).distinct().toList();
  }

  private static TapRecord req(EventRing ring, String path, long wallMillis) {
    return req(ring, path, "GET", wallMillis);
  }

  private static TapRecord req(EventRing ring, String path, String method, long wallMillis) {
    return TapRecord.req(ring.nextRequestId(), Direction.OUTBOUND, new HostPort("127.0.0.1", 40000),
        new HostPort("127.0.0.2", 4143), TlsLabels.DISABLED, method, "web-svc:80", path, "http", wallMillis);
  }

  private static void request(EventRing ring, String path, long wallMillis, int status) {
    TapRecord req = req(ring, path, wallMillis);
    ring.append(req);
    ring.append(TapRecord.rsp(req, status, 1_000_000, null, wallMillis));
    ring.append(TapRecord.end(req, status, 10_000, null, 12, null, wallMillis));
  }

  private static void request(EventRing ring, String path, String method, long wallMillis) {
    TapRecord req = req(ring, path, method, wallMillis);
    ring.append(req);
    ring.append(TapRecord.rsp(req, 200, 1_000_000, null, wallMillis));
    ring.append(TapRecord.end(req, 200, 10_000, null, 12, null, wallMillis));
  }
}
