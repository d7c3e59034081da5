package io.trellis.proxy.tap;

import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TlsLabels;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * Now only the strings an event points at (path, authority) are young when the ring holds them.
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

  /** One event's fields; {@code seq} says which event they are (or {@link #NONE}). */
  private static final class Slot {
    @SuppressWarnings("unused") // through SEQ
    private volatile long seq = NONE;
    @SuppressWarnings("unused") // through BUSY
    private volatile int busy;
    TapRecord.Kind kind;
    long id;
    Direction direction;
    Object src;
    Object dst;
    TlsLabels tls;
    String method;
    String authority;
    String path;
    String scheme;
    long wallMillis;
    int status;
    long nanos;
    String grpcStatus;
    long responseBytes;
    String error;
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
    long seq = next.getAndIncrement();
    Slot s = slots[(int) (seq % capacity)];
    if (!BUSY.compareAndSet(s, 0, 1)) {
      return; // a writer a lap behind is still in this slot: this event is lost
    }
    SEQ.setVolatile(s, NONE);
    VarHandle.storeStoreFence(); // the fields below are not seen before the slot is unreadable
    s.kind = record.kind();
    s.id = record.id();
    s.direction = record.direction();
    s.src = record.src();
    s.dst = record.dst();
    s.tls = record.tls();
    s.method = record.method();
    s.authority = record.authority();
    s.path = record.path();
    s.scheme = record.scheme();
    s.wallMillis = record.wallMillis();
    s.status = record.status();
    s.nanos = record.nanos();
    s.grpcStatus = record.grpcStatus();
    s.responseBytes = record.responseBytes();
    s.error = record.error();
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
      TapRecord copy =
          TapRecord.copy(s.kind, s.id, s.direction, s.src, s.dst, s.tls, s.method, s.authority,
              s.path, s.scheme, s.wallMillis, s.status, s.nanos, s.grpcStatus, s.responseBytes,
              s.error);
      VarHandle.loadLoadFence(); // the fields above were read before seq is read again
      if ((long) SEQ.getVolatile(s) != seq) {
        continue; // overwritten while we copied: lost like any overwritten event
      }
      reader.record(copy);
    }
    return seq;
  }
}
