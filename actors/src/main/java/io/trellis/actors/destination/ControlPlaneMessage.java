package io.trellis.actors.destination;

/**
 * Messages that cross control-plane nodes (a proxy's stream on one node, the service entity on
 * another). Bound to {@link ControlPlaneSerializer} in reference.conf; nothing here relies on Java
 * serialization.
 */
public interface ControlPlaneMessage {}
