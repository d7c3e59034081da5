package io.trellis.proxy.metrics;

import io.trellis.config.ServiceRef;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.profile.ProfileRoute;
import java.util.concurrent.ConcurrentHashMap;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.metric.Metric;
import kamon.tag.TagSet;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Linkerd's per-route metrics, labelled {@code direction}, {@code dst} (the service's authority),
 * {@code rt_route}, {@code tls} and, outbound, {@code dst_service} / {@code dst_namespace}:
 *
 * <ul>
 *   <li>{@code route_request_total}, {@code route_response_total} (classification, status_code,
 *       grpc_status), {@code route_response_latency_ms}: what the caller saw, once per request;
 *   <li>{@code route_actual_request_total}, {@code route_actual_response_total}: every attempt
 *       sent to an endpoint, retries included (outbound);
 *   <li>{@code route_retryable_total{skipped="no_budget"}}: retries the budget refused.
 * </ul>
 *
 * Instruments are cached per route and label set, each registered with one {@code withTags} call.
 */
public final class RouteMetrics {
  static final String LATENCY = "route_response_latency_ms";

  private final Metric.Counter requests = Kamon.counter("route_request_total");
  private final Metric.Counter responses = Kamon.counter("route_response_total");
  // No unit: Kamon's Prometheus reporter would rescale time units to seconds and rename.
  private final Metric.Histogram latency = Kamon.histogram(LATENCY, MeasurementUnit.none());
  private final Metric.Counter actualRequests = Kamon.counter("route_actual_request_total");
  private final Metric.Counter actualResponses = Kamon.counter("route_actual_response_total");
  private final Metric.Counter retryable = Kamon.counter("route_retryable_total");
  private final ConcurrentHashMap<Key, Route> routes = new ConcurrentHashMap<>();

  private record Key(Direction direction, ServiceRef service, String route) {}

  private record Outcome(boolean actual, int status, boolean failure, String grpcStatus) {}

  /** The instruments of one route on one side of the proxy. */
  public final class Route {
    private final Key key;
    private final Counter requestTotal;
    private final Counter actualRequestTotal;
    private final Counter noBudget;
    private final ConcurrentHashMap<Integer, Histogram> latencies = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Outcome, Counter> responseTotals = new ConcurrentHashMap<>();

    private Route(Key key) {
      this.key = key;
      this.requestTotal = requests.withTags(base().build());
      this.actualRequestTotal = actualRequests.withTags(base().build());
      this.noBudget = retryable.withTags(base().add("skipped", "no_budget").build());
    }

    /** One request as the caller made it, answered with {@code status} after {@code millis}. */
    public void request(int status, long millis) {
      requestTotal.increment();
      Histogram h = latencies.get(status);
      if (h == null) {
        h =
            latencies.computeIfAbsent(
                status, s -> latency.withTags(base().add("status_code", s.toString()).build()));
      }
      h.record(millis);
    }

    /** One attempt sent to an endpoint (the first one or a retry). */
    public void actualRequest() {
      actualRequestTotal.increment();
    }

    /** A retry the budget refused. */
    public void skippedNoBudget() {
      noBudget.increment();
    }

    /**
     * Counts {@code response} in {@code route_response_total} (or, when {@code actual}, in {@code
     * route_actual_response_total}) once its body ends, classified by {@code route} (the
     * current profile's, which may differ from the one these instruments were created for).
     */
    public HttpResponse response(
        HttpResponse response, ProfileRoute route, boolean grpc, boolean actual) {
      int status = response.status().intValue();
      return ResponseEnds.watch(
          response,
          (grpcStatus, failure) ->
              outcome(actual, status, failure != null || route.failure(status, grpc, grpcStatus),
                  grpc, grpcStatus));
    }

    /**
     * Counts a response already classified ({@code failure}) in {@code route_response_total},
     * or when {@code actual} in {@code route_actual_response_total} (the fused HTTP/1.1 path,
     * which sees the end of the body itself).
     */
    public void response(
        int status, boolean failure, boolean grpc, String grpcStatus, boolean actual) {
      outcome(actual, status, failure, grpc, grpcStatus);
    }

    /** Counts a response whose body is discarded (a retried attempt) from its headers alone. */
    public void discarded(HttpResponse response, ProfileRoute route, boolean grpc) {
      int status = response.status().intValue();
      String grpcStatus = ResponseEnds.grpcStatusHeader(response);
      outcome(true, status, route.failure(status, grpc, grpcStatus), grpc, grpcStatus);
    }

    private void outcome(
        boolean actual, int status, boolean failure, boolean grpc, String grpcStatus) {
      Outcome o =
          new Outcome(actual, status, failure, grpc ? (grpcStatus == null ? "" : grpcStatus) : null);
      Counter c = responseTotals.get(o);
      if (c == null) {
        c = responseTotals.computeIfAbsent(o, this::counter);
      }
      c.increment();
    }

    private Counter counter(Outcome o) {
      TagSet.Builder b =
          base()
              .add("status_code", Integer.toString(o.status()))
              .add("classification", o.failure() ? "failure" : "success");
      if (o.grpcStatus() != null) {
        b.add("grpc_status", o.grpcStatus());
      }
      return (o.actual() ? actualResponses : responses).withTags(b.build());
    }

    private TagSet.Builder base() {
      TagSet.Builder b =
          TagSet.builder()
              .add("direction", key.direction().label())
              .add("dst", key.service().authority())
              .add("rt_route", key.route())
              // mTLS comes later; until then every connection is plaintext.
              .add("tls", "disabled");
      if (key.direction() == Direction.OUTBOUND) {
        b.add("dst_service", key.service().name()).add("dst_namespace", key.service().namespace());
      }
      return b;
    }
  }

  /** The instruments of {@code route} on the {@code direction} side. */
  public Route route(Direction direction, ProfileRoute route) {
    Key key = new Key(direction, route.service(), route.name());
    Route r = routes.get(key);
    return r != null ? r : routes.computeIfAbsent(key, Route::new);
  }
}
