package io.trellis.proxy.tap;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded, lock-free, multi-writer ring of {@link TapRecord}s with one reader (the {@link
 * EventLog} actor). Appending is one atomic increment and one volatile store: it never blocks and
 * never allocates. When full, the oldest events are overwritten; a reader that fell behind learns
 * how many it lost.
 *
 * <p>A slot is claimed (sequence number taken) before it is written, so a reader may see a claimed
 * slot that still holds an older record: it stops there and resumes on its next read.
 */
public final class EventRing {
  private final AtomicReferenceArray<TapRecord> slots;
  private final int capacity;
  private final AtomicLong next = new AtomicLong();
  private final AtomicLong requestIds = new AtomicLong();

  public EventRing(int capacity) {
    this.capacity = capacity;
    this.slots = new AtomicReferenceArray<>(capacity);
  }

  public int capacity() {
    return capacity;
  }

  /** A request id unique on this proxy (both directions share the ring). */
  public long nextRequestId() {
    return requestIds.incrementAndGet();
  }

  /** Called by the request path. */
  public void append(TapRecord record) {
    long seq = next.getAndIncrement();
    record.seq = seq;
    slots.set((int) (seq % capacity), record);
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
      TapRecord r = slots.get((int) (seq % capacity));
      if (r == null || r.seq < seq) {
        break; // claimed, not yet written
      }
      if (r.seq == seq) {
        reader.record(r);
      }
      // r.seq > seq: overwritten by a lap ahead; skipped
    }
    return seq;
  }
}
