/**
 * The control plane's identity service: the CA of the state directory and the workload tokens
 * ({@link io.trellis.actors.identity.IdentityAuthority}), served as the {@code Identity} gRPC
 * service on the shared API port ({@link io.trellis.actors.identity.IdentityGrpcService}).
 */
package io.trellis.actors.identity;
