package io.trellis.proxy.metrics;

import io.trellis.proxy.detect.HttpListener;
import io.trellis.proxy.http.Direction;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.tag.TagSet;

/**
 * Linkerd's connection counts at a listener: {@code tcp_open_total}, {@code tcp_open_connections}
 * and {@code tcp_close_total}, labelled {@code direction} and {@code
 * peer="src"} (the connection was accepted from a client). {@code trellis stat}'s TCP_CONN column
 * reads {@code tcp_open_connections}.
 */
public final class TcpMetrics implements HttpListener.Connections {
  static final String OPEN_TOTAL = "tcp_open_total";
  static final String OPEN_CONNECTIONS = "tcp_open_connections";
  static final String CLOSE_TOTAL = "tcp_close_total";

  private final Counter opened;
  private final Gauge open;
  private final Counter closed;

  private TcpMetrics(Counter opened, Gauge open, Counter closed) {
    this.opened = opened;
    this.open = open;
    this.closed = closed;
  }

  /** The instruments of the connections one listener accepts. */
  public static TcpMetrics accepted(Direction direction) {
    var tags = TagSet.builder().add("direction", direction.label()).add("peer", "src").build();
    return new TcpMetrics(
        Kamon.counter(OPEN_TOTAL).withTags(tags),
        Kamon.gauge(OPEN_CONNECTIONS).withTags(tags),
        Kamon.counter(CLOSE_TOTAL).withTags(tags));
  }

  @Override
  public void opened() {
    opened.increment();
    open.increment();
  }

  @Override
  public void closed() {
    open.decrement();
    closed.increment();
  }
}
