package io.trellis.actors.destination;

import io.grpc.Status;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded queue in front of one proxy's gRPC stream. An offer never waits: when the proxy
 * reads too slowly and the queue is full, the stream is failed with RESOURCE_EXHAUSTED (counted),
 * and the proxy re-subscribes and starts from the current state, which is all it needs since
 * every message is a whole snapshot. A publisher therefore never blocks on its slowest proxy.
 */
public final class ProxyQueue<M> {
  private static final Logger log = LoggerFactory.getLogger(ProxyQueue.class);
  private final BoundedSourceQueue<M> queue;
  private final StreamStats stats;
  private final String what;
  private M last;

  public ProxyQueue(BoundedSourceQueue<M> queue, StreamStats stats, String what) {
    this.queue = queue;
    this.stats = stats;
    this.what = what;
  }

  /** Queues {@code update} unless it repeats the last one; false once the stream is over. */
  boolean offer(M update) {
    if (update.equals(last)) {
      return true; // a re-subscription repeats the state the proxy already has
    }
    QueueOfferResult result = queue.offer(update);
    if (result == QueueOfferResult.enqueued()) {
      last = update;
      return true;
    }
    if (result == QueueOfferResult.dropped()) {
      stats.overflowed();
      log.warn("{}: proxy stream closed, {} updates unread; it will re-subscribe", what,
          queue.size());
      queue.fail(new GrpcServiceException(Status.RESOURCE_EXHAUSTED.withDescription(
          what + ": the proxy fell behind (" + queue.size() + " updates queued); re-subscribe")));
    }
    return false; // dropped, or the proxy closed the stream
  }

  void complete() {
    queue.complete();
  }
}
