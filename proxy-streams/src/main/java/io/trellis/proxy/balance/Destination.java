package io.trellis.proxy.balance;

import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * One service's endpoints as the request path reads them: the latest snapshot the service's actor
 * published, and a picker over it.
 */
public interface Destination {
  ServiceRef service();

  /** The latest published snapshot. Never null; may be empty. */
  EndpointSet current();

  /**
   * Picks an endpoint by power of two choices over Peak-EWMA load, or returns null when the set is
   * empty.
   */
  EndpointHandle pick();

  /**
   * Completes with a non-empty snapshot as soon as one is published, or exceptionally with
   * {@link java.util.concurrent.TimeoutException} after {@code failFast}. Completes at once when
   * the current snapshot is non-empty.
   */
  CompletionStage<EndpointSet> whenNonEmpty(Duration failFast);

  /**
   * Completes once the service's first snapshot is published, empty or not (at once after that):
   * a destination created by the request that first names its service has none for a moment.
   */
  CompletionStage<Void> whenPublished();
}
