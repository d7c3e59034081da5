package io.trellis.proxy.timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.trellis.config.RequestMatch;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.errors.Rescue;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.metrics.RouteMetrics;
import io.trellis.proxy.profile.ProfileRoute;
import io.trellis.proxy.profile.RouteTable;
import io.trellis.proxy.retry.Retries;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An endpoint that answers 500 after 3 s, on a retryable route with a 10 s timeout, on virtual
 * time: attempts go at 0, 3, 6 and 9 s; at 10 s exactly the caller gets 504 naming the route and
 * timeout, no fifth attempt starts, the fourth attempt's late response has its body cancelled, and
 * the endless bodies of the failed attempts were not left hanging.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimeoutWithRetriesTest {
  static final ServiceRef SERVICE = new ServiceRef("demo", "slow-svc", 80);
  final ActorTestKit kit =
      ActorTestKit.create(
          "TimeoutWithRetriesTest", ManualTime.config().withFallback(ConfigFactory.load()));
  final ManualTime time = ManualTime.get(kit.system());
  final Materializer materializer = Materializer.matFromSystem(kit.system());

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  /** Attempts, and for each whether its response body was cancelled. */
  final List<CompletableFuture<Done>> bodies = new CopyOnWriteArrayList<>();

  /** Answers 500 three (virtual) seconds after each attempt, with a body that never ends. */
  final HttpService slowFailing =
      (request, exchange) -> {
        CompletableFuture<Done> bodyEnd = new CompletableFuture<>();
        bodies.add(bodyEnd);
        CompletableFuture<HttpResponse> response = new CompletableFuture<>();
        Source<ByteString, ?> endless =
            Source.<ByteString>never()
                .watchTermination(
                    (mat, done) -> {
                      done.whenComplete((d, f) -> bodyEnd.complete(Done.getInstance()));
                      return mat;
                    });
        kit.system()
            .scheduler()
            .scheduleOnce(
                Duration.ofSeconds(3),
                () ->
                    response.complete(
                        HttpResponse.create()
                            .withStatus(500)
                            .withEntity(
                                HttpEntities.createChunked(ContentTypes.TEXT_PLAIN_UTF8, endless))),
                kit.system().executionContext());
        return response;
      };

  @Test
  void answers504AtTheTimeoutAndCancelsTheAttemptInFlight() throws Exception {
    ProfileRoute route =
        RouteTable.compile(
                SERVICE,
                new ServiceProfile(SERVICE.fqdn(), "demo", List.of(new ServiceProfile.Route(
                    "GET /slow", RequestMatch.PathRegex.of("/slow"), List.of(), true,
                    Duration.ofSeconds(10)))),
                Duration.ofSeconds(10))
            .select("GET", "/slow");
    HttpService path =
        slowFailing
            .push(Retries.budgeted(new RouteMetrics(), materializer, System::nanoTime, 65536))
            .push(RouteTimeout.bound(kit.system()))
            .push(Rescue.errors());
    Exchange exchange = new Exchange(Direction.OUTBOUND, 0, SERVICE.authority(), false);
    exchange.service(SERVICE);
    exchange.route(route);
    CompletableFuture<HttpResponse> response =
        path.serve(HttpRequest.GET("http://slow-svc/slow"), exchange).toCompletableFuture();

    for (int second = 1; second <= 9; second++) {
      time.timePasses(Duration.ofSeconds(1));
      int expectedAttempts = second / 3 + 1;
      await("attempt " + expectedAttempts, () -> bodies.size() == expectedAttempts);
      assertFalse(response.isDone(), "no answer before the timeout, at " + second + " s");
    }
    time.timePasses(Duration.ofMillis(999));
    Thread.onSpinWait();
    assertFalse(response.isDone(), "no answer at 9.999 s");

    time.timePasses(Duration.ofMillis(1));
    HttpResponse r = response.get(5, TimeUnit.SECONDS);
    assertEquals(504, r.status().intValue());
    String body =
        r.entity().toStrict(5000, materializer).toCompletableFuture().get().getData().utf8String();
    assertTrue(body.contains("route GET /slow"), body);
    assertTrue(body.contains("10000ms"), body);
    assertEquals(Optional.of(body.trim()), r.getHeader("l5d-proxy-error").map(h -> h.value()));

    // The fourth attempt answers at 12 s, after the deadline: its body is cancelled, no retry.
    assertFalse(bodies.get(3).isDone());
    time.timePasses(Duration.ofSeconds(3));
    bodies.get(3).get(5, TimeUnit.SECONDS);
    time.timePasses(Duration.ofSeconds(10));
    assertEquals(4, bodies.size(), "no attempt after the deadline");
    // The failed attempts' endless bodies were drained for at most a second, then cancelled.
    for (int i = 0; i < 3; i++) {
      bodies.get(i).get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void grpcGetsDeadlineExceededTrailersOnly() throws Exception {
    ProfileRoute route =
        RouteTable.compile(
                SERVICE,
                new ServiceProfile(SERVICE.fqdn(), "demo", List.of(new ServiceProfile.Route(
                    "Slow", RequestMatch.PathRegex.of("/pkg.Svc/Slow"), List.of(), false,
                    Duration.ofMillis(500)))),
                Duration.ofSeconds(10))
            .select("POST", "/pkg.Svc/Slow");
    HttpService path =
        ((HttpService) (request, exchange) -> new CompletableFuture<HttpResponse>())
            .push(RouteTimeout.bound(kit.system()))
            .push(Rescue.errors());
    Exchange exchange = new Exchange(Direction.OUTBOUND, 0, SERVICE.authority(), true);
    exchange.route(route);
    CompletionStage<HttpResponse> response =
        path.serve(HttpRequest.POST("http://slow-svc/pkg.Svc/Slow"), exchange);
    time.timePasses(Duration.ofMillis(500));
    HttpResponse r = response.toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(200, r.status().intValue());
    assertEquals(Optional.of("4"), r.getHeader("grpc-status").map(h -> h.value()));
    assertTrue(r.entity().isKnownEmpty());
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }
}
