/**
 * Logical service to concrete backend: header routing rules, then SMI TrafficSplit weights,
 * compiled per mesh snapshot into an immutable {@link io.trellis.proxy.split.BackendTable}.
 */
package io.trellis.proxy.split;
