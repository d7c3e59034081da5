/**
 * Endpoint selection. Each endpoint is an actor that owns its state and lifecycle and publishes an
 * {@link io.trellis.proxy.balance.EndpointHandle} with a lock-free load meter; each service's
 * endpoint set is published as an immutable {@link io.trellis.proxy.balance.EndpointSet} that the
 * request path reads without asking any actor. Selection is power-of-two-choices over Peak-EWMA
 * load, as in Finagle and linkerd2-proxy.
 *
 * <p>Actors, from the top: a registry (under {@code /system}) receives discovery's snapshots and
 * spawns one {@link io.trellis.proxy.balance.ServiceEndpointsActor} per service a request asked
 * for; that actor diffs the service's endpoint list, spawns and retires one {@link
 * io.trellis.proxy.balance.EndpointActor} per endpoint and publishes the set. The request path
 * goes through {@link io.trellis.proxy.balance.ActorDestinations}: a map lookup, then {@code
 * pick()} on the published set, then {@code dispatch}/{@code complete} on the handle (atomics).
 */
package io.trellis.proxy.balance;
