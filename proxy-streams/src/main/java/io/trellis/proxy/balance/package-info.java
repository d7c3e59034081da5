/**
 * Endpoint selection. Each endpoint is an actor that owns its state and lifecycle and publishes an
 * {@link io.trellis.proxy.balance.EndpointHandle} with a lock-free load meter; each service's
 * endpoint set is published as an immutable {@link io.trellis.proxy.balance.EndpointSet} that the
 * request path reads without asking any actor. Selection is power-of-two-choices over Peak-EWMA
 * load, as in Finagle and linkerd2-proxy.
 */
package io.trellis.proxy.balance;
