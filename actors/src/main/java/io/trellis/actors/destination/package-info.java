/**
 * The destination service: one sharded {@link io.trellis.actors.destination.ServiceDestination}
 * per service publishes endpoint sets and profiles derived from the node-local
 * {@link io.trellis.actors.destination.MeshHolder}; each proxy stream is a
 * {@link io.trellis.actors.destination.DestinationStream} with a bounded queue that is closed on
 * overflow, so publishers never wait for proxies.
 */
package io.trellis.actors.destination;
