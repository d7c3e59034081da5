package io.trellis.proxy.tap;

import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TlsLabels;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded, lock-free, multi-writer ring of tap events with one reader (the {@link EventLog}
 * actor). Appending is one atomic increment and a few stores: it never blocks and never allocates.
 * When full, the oldest events are overwritten; a reader that fell behind learns how many it lost.
 *
 * <p>The slots are allocated once, with the ring, and an append copies the event's fields into
 * one; the {@link TapRecord} the request path made dies young. A ring of references to the
 * records instead kept every request's three records alive for as long as the ring held them
 * (10,000 events: 1.7 s at 2,000 requests/s), so each young collection copied them, about 1.2 MB,
 * and paused 3-4 ms on a proxy's shared core instead of about 1 ms (bench/RESULTS.md, session 5).
 *
 * <p>Nor does a slot point at the request's own strings: the path and the authority, parsed anew
 * for every request, are copied as Latin-1 bytes into the slot's text buffer (grown when an event
 * needs more, up to {@link #MAX_TEXT}; longer or non-Latin-1 text is kept by reference). Holding
 * them by reference kept the last 10,000 events' strings alive too, about 0.25 MB copied by every
 * young collection (pauses about 1.5 ms against 1.0 ms with an empty ring; session 7). The other
 * references an event has (addresses, TLS labels, method, scheme) belong to the connection or are
 * constants, so they are old, and a slot stores one only when it differs from what the slot holds:
 * a reference store marks its card, which the next young collection scans.
 *
 * <p>Each slot is a seqlock: a writer takes the slot (one compare-and-set; a slot another writer
 * is still filling, which needs a whole lap of the ring meanwhile, loses the event instead of
 * waiting), marks it unreadable, writes the fields and publishes the event's sequence number. The
 * reader copies the fields out and keeps the copy only if the sequence number did not change
 * meanwhile.
 */
public final class EventRing {
  private static final VarHandle SEQ;
  private static final VarHandle BUSY;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      SEQ = lookup.findVarHandle(Slot.class, "seq", long.class);
      BUSY = lookup.findVarHandle(Slot.class, "busy", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Unreadable: never written, or being written. */
  private static final long NONE = -1;

  /** Bytes of path and authority a slot copies; longer text is kept by reference. */
  static final int MAX_TEXT = 4096;

  private static final TapRecord.Kind[] KINDS = TapRecord.Kind.values();
  private static final Direction[] DIRECTIONS = Direction.values();

  /** One event's fields; {@code seq} says which event they are (or {@link #NONE}). */
  private static final class Slot {
    @SuppressWarnings("unused") // through SEQ
    private volatile long seq = NONE;
    @SuppressWarnings("unused") // through BUSY
    private volatile int busy;
    int kind;
    long id;
    int direction;
    Object src;
    Object dst;
    TlsLabels tls;
    String method;
    /** Path then authority as Latin-1 bytes; null until an event has text. */
    byte[] text;
    /** Bytes of the path in {@link #text}; -1 when null or kept in {@link #pathRef}. */
    int pathLength;
    /** Bytes of the authority after the path; -1 when null or kept in {@link #authorityRef}. */
    int authorityLength;
    String pathRef;
    String authorityRef;
    String scheme;
    long wallMillis;
    int status;
    long nanos;
    String grpcStatus;
    long responseBytes;
    String error;

    /** Copies {@code value} as Latin-1 at {@code offset}; -1 when null, -2 when it cannot. */
    int copy(String value, int offset) {
      if (value == null) {
        return -1;
      }
      int n = value.length();
      if (offset + n > MAX_TEXT) {
        return -2;
      }
      byte[] t = text;
      if (t == null || t.length < offset + n) {
        int size = Math.min(MAX_TEXT, Math.max(64, 2 * (offset + n)));
        t = t == null ? new byte[size] : Arrays.copyOf(t, size); // keeps the path before offset
        text = t;
      }
      for (int i = 0; i < n; i++) {
        char c = value.charAt(i);
        if (c > 0xFF) {
          return -2;
        }
        t[offset + i] = (byte) c;
      }
      return n;
    }

    String text(int offset, int length, String ref) {
      return length >= 0 ? new String(text, offset, length, StandardCharsets.ISO_8859_1) : ref;
    }
  }

  private final Slot[] slots;
  private final int capacity;
  private final AtomicLong next = new AtomicLong();
  private final AtomicLong requestIds = new AtomicLong();

  public EventRing(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("tap ring capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
    this.slots = new Slot[capacity];
    for (int i = 0; i < capacity; i++) {
      slots[i] = new Slot();
    }
  }

  public int capacity() {
    return capacity;
  }

  /** A request id unique on this proxy (both directions share the ring). */
  public long nextRequestId() {
    return requestIds.incrementAndGet();
  }

  /** Called by the request path: copies {@code record}'s fields into the next slot. */
  public void append(TapRecord record) {
    write(record.kind(), record, record.wallMillis(), record.status(), record.nanos(),
        record.grpcStatus(), record.responseBytes(), record.error());
  }

  /** As {@code append(TapRecord.rsp(req, ...))}, without making the record. */
  public void appendResponse(
      TapRecord req, int status, long latencyNanos, String grpcStatus, long wallMillis) {
    write(TapRecord.Kind.RSP, req, wallMillis, status, latencyNanos, grpcStatus, 0, null);
  }

  /** As {@code append(TapRecord.end(req, ...))}, without making the record. */
  public void appendEnd(
      TapRecord req, int status, long durationNanos, String grpcStatus, long responseBytes,
      String error, long wallMillis) {
    write(TapRecord.Kind.END, req, wallMillis, status, durationNanos, grpcStatus, responseBytes,
        error);
  }

  /** An event of {@code kind}; the request's fields (id, addresses, path...) from {@code record}. */
  private void write(
      TapRecord.Kind kind, TapRecord record, long wallMillis, int status, long nanos,
      String grpcStatus, long responseBytes, String error) {
    long seq = next.getAndIncrement();
    Slot s = slots[(int) (seq % capacity)];
    if (!BUSY.compareAndSet(s, 0, 1)) {
      return; // a writer a lap behind is still in this slot: this event is lost
    }
    SEQ.setVolatile(s, NONE);
    VarHandle.storeStoreFence(); // the fields below are not seen before the slot is unreadable
    s.kind = kind.ordinal();
    s.id = record.id();
    s.direction = record.direction().ordinal();
    // A reference is stored only when it changes: each store marks the slot's card (see above).
    Object src = record.src();
    if (s.src != src) {
      s.src = src;
    }
    Object dst = record.dst();
    if (s.dst != dst) {
      s.dst = dst;
    }
    TlsLabels tls = record.tls();
    if (s.tls != tls) {
      s.tls = tls;
    }
    String method = record.method();
    if (s.method != method) {
      s.method = method;
    }
    String path = record.path();
    int pathLength = s.copy(path, 0);
    String pathRef = pathLength == -2 ? path : null;
    if (s.pathRef != pathRef) {
      s.pathRef = pathRef;
    }
    String authority = record.authority();
    int authorityLength = s.copy(authority, Math.max(0, pathLength));
    String authorityRef = authorityLength == -2 ? authority : null;
    if (s.authorityRef != authorityRef) {
      s.authorityRef = authorityRef;
    }
    s.pathLength = pathLength < 0 ? -1 : pathLength;
    s.authorityLength = authorityLength < 0 ? -1 : authorityLength;
    String scheme = record.scheme();
    if (s.scheme != scheme) {
      s.scheme = scheme;
    }
    s.wallMillis = wallMillis;
    s.status = status;
    s.nanos = nanos;
    if (s.grpcStatus != grpcStatus) {
      s.grpcStatus = grpcStatus;
    }
    s.responseBytes = responseBytes;
    if (s.error != error) {
      s.error = error;
    }
    SEQ.setRelease(s, seq);
    BUSY.setRelease(s, 0);
  }

  /** The sequence number the next append will take: everything before it was claimed. */
  public long head() {
    return next.get();
  }

  /** The oldest sequence number still in the ring. */
  public long tail() {
    return Math.max(0, head() - capacity);
  }

  /** Receives records read from the ring. */
  public interface Reader {
    void record(TapRecord record);
  }

  /**
   * Reads from {@code from} (a sequence number) up to the current head, stopping early at a slot
   * not written yet. Returns the sequence number to read from next time; records overwritten
   * before they were read are skipped (the caller sees the gap as {@code returned - from} minus
   * what it received).
   */
  public long read(long from, Reader reader) {
    return read(from, Long.MAX_VALUE, reader);
  }

  /** As {@link #read(long, Reader)}, not past {@code until}. */
  public long read(long from, long until, Reader reader) {
    long head = Math.min(until, head());
    long seq = Math.max(from, head - capacity);
    for (; seq < head; seq++) {
      Slot s = slots[(int) (seq % capacity)];
      long before = (long) SEQ.getAcquire(s);
      if (before < seq) {
        break; // claimed, not yet written (or being rewritten): resume here next time
      }
      if (before > seq) {
        continue; // overwritten by a lap ahead; skipped
      }
      TapRecord copy;
      try {
        int pathLength = s.pathLength;
        copy =
            TapRecord.copy(KINDS[s.kind], s.id, DIRECTIONS[s.direction], s.src, s.dst, s.tls,
                s.method, s.text(Math.max(0, pathLength), s.authorityLength, s.authorityRef),
                s.text(0, pathLength, s.pathRef), s.scheme, s.wallMillis, s.status, s.nanos,
                s.grpcStatus, s.responseBytes, s.error);
      } catch (IndexOutOfBoundsException | NullPointerException torn) {
        continue; // lengths and text from different writes: the slot was being overwritten
      }
      VarHandle.loadLoadFence(); // the fields above were read before seq is read again
      if ((long) SEQ.getVolatile(s) != seq) {
        continue; // overwritten while we copied: lost like any overwritten event
      }
      reader.record(copy);
    }
    return seq;
  }
}
