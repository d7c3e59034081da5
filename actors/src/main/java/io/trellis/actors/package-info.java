/**
 * The control plane's actors: a node ({@link io.trellis.actors.ControlPlane}), its thin guardian
 * and settings. The destination service's protocol (sharded service entities, per-stream actors,
 * the gRPC implementation) is in {@code io.trellis.actors.destination}.
 */
package io.trellis.actors;
