/**
 * Linkerd-compatible proxy metrics recorded with Kamon and exposed as Prometheus text on the admin
 * listener.
 */
package io.trellis.proxy.metrics;
