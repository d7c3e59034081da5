/**
 * The destination API (generated from {@code src/main/proto/destination.proto}): messages, the
 * {@code Destination} service interface, {@code DestinationHandlerFactory} for servers and
 * {@code DestinationClient} for proxies. Translation to and from the mesh model lives in
 * {@code io.trellis.discovery.destination.MeshProtos}.
 */
package io.trellis.api.destination;
