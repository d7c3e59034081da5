/**
 * Tap: the proxy's request event log and the gRPC Tap service that reads it. The request path only
 * appends to a bounded lock-free ring ({@link io.trellis.proxy.tap.EventRing}); the {@link
 * io.trellis.proxy.tap.EventLog} actor is the ring's only reader and serves replay and live events
 * to subscribers, each behind a bounded queue that drops (and counts) instead of pushing back.
 */
package io.trellis.proxy.tap;
