package io.trellis.actors.metrics;

/** A query that cannot be answered (Prometheus unreachable, a bad request); the message says why. */
public final class MetricsException extends RuntimeException {
  public MetricsException(String message) {
    super(message);
  }
}
