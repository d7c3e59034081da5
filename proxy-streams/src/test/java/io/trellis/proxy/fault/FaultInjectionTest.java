package io.trellis.proxy.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.trellis.config.Fault;
import io.trellis.config.RequestMatch;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.profile.ProfileRoute;
import io.trellis.proxy.profile.RouteTable;
import io.trellis.proxy.timeout.RouteTimeout;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Fault injection on virtual time: a delay holds the request on the scheduler (no thread) for
 * exactly its duration; the route timeout cuts a delay short and the request is then never sent;
 * an abort answers its status without reaching the endpoint (gRPC: the gRPC status, trailers-only);
 * percentages pick their share of requests; mesh.conf faults replace a profile route's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultInjectionTest {
  static final ServiceRef SERVICE = new ServiceRef("demo", "faulty-svc", 80);
  final ActorTestKit kit =
      ActorTestKit.create(
          "FaultInjectionTest", ManualTime.config().withFallback(ConfigFactory.load()));
  final ManualTime time = ManualTime.get(kit.system());
  final AtomicInteger sent = new AtomicInteger();
  final HttpService endpoint =
      (request, exchange) -> {
        sent.incrementAndGet();
        return CompletableFuture.completedFuture(HttpResponse.create().withStatus(200));
      };

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  static ProfileRoute route(Fault fault, Duration timeout) {
    return RouteTable.compile(
            SERVICE,
            new ServiceProfile(SERVICE.fqdn(), "demo", List.of(new ServiceProfile.Route(
                "GET /x", RequestMatch.PathRegex.of("/x"), List.of(), false, timeout, fault))),
            Duration.ofSeconds(10))
        .select("GET", "/x");
  }

  CompletableFuture<HttpResponse> call(ProfileRoute route, boolean grpc, double draw) {
    HttpService path = endpoint
        .push(InjectFaults.on(kit.system(), () -> draw))
        .push(RouteTimeout.bound(kit.system()))
        .push(Rescue.errors());
    Exchange exchange = new Exchange(Direction.OUTBOUND, 0, SERVICE.authority(), grpc);
    exchange.service(SERVICE);
    exchange.route(route);
    return path.serve(HttpRequest.GET("http://faulty-svc/x"), exchange).toCompletableFuture();
  }

  @Test
  void delayHoldsTheRequestForItsDuration() throws Exception {
    sent.set(0);
    Fault delay = new Fault(null, new Fault.Delay(50, Duration.ofMillis(200)));
    CompletableFuture<HttpResponse> r = call(route(delay, Duration.ofSeconds(10)), false, 10);
    time.timePasses(Duration.ofMillis(199));
    assertFalse(r.isDone(), "still delayed at 199ms");
    assertEquals(0, sent.get());
    time.timePasses(Duration.ofMillis(1));
    assertEquals(200, r.get(5, TimeUnit.SECONDS).status().intValue());
    assertEquals(1, sent.get());
    // a draw outside the percentage is not delayed
    assertEquals(200, call(route(delay, Duration.ofSeconds(10)), false, 60)
        .get(5, TimeUnit.SECONDS).status().intValue());
  }

  @Test
  void routeTimeoutCancelsTheDelay() throws Exception {
    sent.set(0);
    Fault delay = new Fault(null, new Fault.Delay(100, Duration.ofSeconds(2)));
    CompletableFuture<HttpResponse> r = call(route(delay, Duration.ofMillis(300)), false, 0);
    time.timePasses(Duration.ofMillis(300));
    HttpResponse timedOut = r.get(5, TimeUnit.SECONDS);
    assertEquals(504, timedOut.status().intValue());
    time.timePasses(Duration.ofSeconds(3));
    assertEquals(0, sent.get(), "a request cut short by the timeout is never sent");
  }

  @Test
  void abortAnswersItsStatusWithoutTheEndpoint() throws Exception {
    sent.set(0);
    Fault abort = new Fault(new Fault.Abort(10, 503, 14), null);
    HttpResponse r = call(route(abort, null), false, 9.99).get(5, TimeUnit.SECONDS);
    assertEquals(503, r.status().intValue());
    assertTrue(r.getHeader("l5d-proxy-error").map(h -> h.value()).orElse("")
        .contains("fault injected"));
    assertEquals(0, sent.get());
    assertEquals(200, call(route(abort, null), false, 10).get(5, TimeUnit.SECONDS)
        .status().intValue(), "a draw of 10 is outside 10%");
    assertEquals(1, sent.get());
  }

  @Test
  void grpcAbortIsAGrpcStatus() throws Exception {
    Fault abort = new Fault(new Fault.Abort(100, 503, 8), null);
    HttpResponse r = call(route(abort, null), true, 0).get(5, TimeUnit.SECONDS);
    assertEquals(200, r.status().intValue());
    assertEquals(Optional.of("8"), r.getHeader("grpc-status").map(h -> h.value()));
  }

  @Test
  void delayThenAbort() throws Exception {
    sent.set(0);
    Fault both = new Fault(new Fault.Abort(100, 500, 14), new Fault.Delay(100, Duration.ofMillis(50)));
    CompletableFuture<HttpResponse> r = call(route(both, Duration.ofSeconds(1)), false, 0);
    assertFalse(r.isDone());
    time.timePasses(Duration.ofMillis(50));
    assertEquals(500, r.get(5, TimeUnit.SECONDS).status().intValue());
    assertEquals(0, sent.get());
  }

  @Test
  void meshConfFaultReplacesTheProfileRoutesOwn() {
    Fault own = new Fault(new Fault.Abort(1, 500, 14), null);
    Fault conf = new Fault(null, new Fault.Delay(100, Duration.ofMillis(5)));
    ServiceProfile profile = new ServiceProfile(SERVICE.fqdn(), "demo", List.of(
        new ServiceProfile.Route("GET /x", RequestMatch.PathRegex.of("/x"), List.of(), false,
            null, own)));
    assertEquals(own, RouteTable.compile(SERVICE, profile, Duration.ofSeconds(10))
        .select("GET", "/x").fault());
    RouteTable table = RouteTable.compile(SERVICE, profile,
        Map.of("GET /x", conf, ProfileRoute.DEFAULT, own), Duration.ofSeconds(10));
    assertEquals(conf, table.select("GET", "/x").fault());
    assertEquals(own, table.select("GET", "/elsewhere").fault());
  }
}
