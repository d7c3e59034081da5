package io.trellis.proxy.metrics;

import io.trellis.config.Endpoint;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.metric.Metric;
import kamon.tag.TagSet;

/**
 * Linkerd's HTTP metrics, recorded with Kamon: {@code request_total}, {@code response_total} and
 * {@code response_latency_ms} with the labels direction, authority, tls (see {@link TlsLabels}),
 * the outbound dst_* labels,
 * status_code, and on responses classification and grpc_status.
 *
 * <p>Instruments are looked up once per label set and cached, so the request path does not build
 * tag sets: each instrument is registered with a single {@code withTags} call, because chained
 * {@code withTag} calls register every intermediate, half-tagged series too.
 */
public final class HttpMetrics {
  static final String REQUESTS = "request_total";
  static final String RESPONSES = "response_total";
  static final String LATENCY = "response_latency_ms";

  private final Metric.Counter requests = Kamon.counter(REQUESTS);
  private final Metric.Counter responses = Kamon.counter(RESPONSES);
  // No unit: Kamon's Prometheus reporter would rescale time units to seconds and rename.
  private final Metric.Histogram latency = Kamon.histogram(LATENCY, MeasurementUnit.none());
  private final ConcurrentHashMap<Target, Route> routes = new ConcurrentHashMap<>();
  private final Function<Exchange, TlsLabels> tls;

  /** Metrics of a proxy without identity: every request is labelled {@code tls="disabled"}. */
  public HttpMetrics() {
    this(exchange -> TlsLabels.DISABLED);
  }

  /** @param tls the tls labels of an exchange, once routing and balancing have chosen its endpoint */
  public HttpMetrics(Function<Exchange, TlsLabels> tls) {
    this.tls = tls;
  }

  /** The labels shared by a request and its responses. */
  record Target(
      Direction direction,
      String authority,
      ServiceRef service,
      String deployment,
      TlsLabels tls) {}

  /** A response's own labels. */
  record Outcome(int status, boolean failure, String grpcStatus) {}

  /** The instruments of one target. */
  public final class Route {
    private final Target target;
    private final Counter requestTotal;
    private final ConcurrentHashMap<Integer, Histogram> latencies = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Outcome, Counter> responseTotals = new ConcurrentHashMap<>();

    Route(Target target) {
      this.target = target;
      this.requestTotal = requests.withTags(base(target).build());
    }

    public void request() {
      requestTotal.increment();
    }

    public void latency(int status, long millis) {
      Histogram h = latencies.get(status);
      if (h == null) {
        h =
            latencies.computeIfAbsent(
                status,
                s -> latency.withTags(base(target).add("status_code", s.toString()).build()));
      }
      h.record(millis);
    }

    public void response(int status, boolean failure, String grpcStatus) {
      Outcome outcome = new Outcome(status, failure, grpcStatus);
      Counter c = responseTotals.get(outcome);
      if (c == null) {
        c = responseTotals.computeIfAbsent(outcome, o -> responses.withTags(tags(target, o)));
      }
      c.increment();
    }
  }

  /** The instruments for the exchange's target, as routing and balancing left it. */
  public Route route(Exchange exchange) {
    return route(exchange, tls.apply(exchange));
  }

  /** As {@link #route(Exchange)} with the exchange's tls labels already known. */
  public Route route(Exchange exchange, TlsLabels tlsLabels) {
    Endpoint endpoint = exchange.endpoint();
    // dst_service is the concrete backend (a split's leaf), as Linkerd labels it.
    ServiceRef backend = exchange.backend();
    String deployment = endpoint != null && backend != null ? endpoint.workload() : null;
    Target target =
        new Target(
            exchange.direction(),
            exchange.authority(),
            backend,
            deployment,
            tlsLabels);
    Route r = routes.get(target);
    return r != null ? r : routes.computeIfAbsent(target, Route::new);
  }

  private static TagSet.Builder base(Target t) {
    TagSet.Builder b =
        TagSet.builder()
            .add("direction", t.direction().label())
            .add("authority", t.authority());
    t.tls().addTo(b, t.direction());
    if (t.service() != null) {
      b.add("dst_service", t.service().name()).add("dst_namespace", t.service().namespace());
      if (t.deployment() != null) {
        b.add("dst_deployment", t.deployment());
      }
    }
    return b;
  }

  private static TagSet tags(Target t, Outcome o) {
    TagSet.Builder b =
        base(t)
            .add("status_code", Integer.toString(o.status()))
            .add("classification", o.failure() ? "failure" : "success");
    if (o.grpcStatus() != null) {
      b.add("grpc_status", o.grpcStatus());
    }
    return b.build();
  }
}
