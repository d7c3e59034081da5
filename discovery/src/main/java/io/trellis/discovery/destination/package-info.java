/**
 * The destination API seen from both ends: {@link io.trellis.discovery.destination.MeshProtos}
 * translates the mesh model to and from its protobuf messages (the control plane serves, the
 * proxy reads), and {@link io.trellis.discovery.destination.DestinationApiSource} is the proxy's
 * discovery source backed by control-plane streams.
 */
package io.trellis.discovery.destination;
