package io.trellis.proxy.balance;

import io.trellis.config.Endpoint;

/**
 * What the request path sees of one endpoint. Published by the endpoint's actor; safe to use from
 * any thread without locks. The request path never messages the actor: it records outcomes here
 * and the actor reads them when it needs to (for example for failure accrual).
 */
public interface EndpointHandle {
  /** The address and identity of the endpoint. */
  Endpoint endpoint();

  /**
   * The Peak-EWMA load: cost (decayed to {@code nowNanos}) times (pending + 1). Lower is better.
   */
  double load(long nowNanos);

  /**
   * Counts a request as dispatched to this endpoint. The caller must complete the returned
   * dispatch exactly once when the response headers arrive or the request fails.
   */
  Dispatch dispatch(long nowNanos);

  /** One request in flight to an endpoint. */
  interface Dispatch {
    /**
     * Records the request's round trip (from dispatch to {@code nowNanos}) and ends it.
     *
     * @param failure true when the request failed at the connection level or was classified as a
     *     failure
     */
    void complete(long nowNanos, boolean failure);
  }
}
