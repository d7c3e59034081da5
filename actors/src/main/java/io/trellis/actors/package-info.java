/**
 * Control-plane actor protocols, cluster sharding and the guardian. The destination publishers and the control-plane guardian land here with the control plane (issue 4).
 */
package io.trellis.actors;
