/**
 * The metrics API behind {@code trellis stat}, {@code edges} and {@code routes}: Linkerd's queries
 * over the proxies' series, answered by a Prometheus server ({@link PrometheusSource}) or by this
 * node's own rolling windows over the proxies' /metrics ({@link Scraper}, {@link RollingWindows}).
 */
package io.trellis.actors.metrics;
