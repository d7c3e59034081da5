package io.trellis.proxy.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.ServiceProfile;
import io.trellis.proxy.metrics.RouteMetrics;
import io.trellis.proxy.profile.ProfileRoute;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An endpoint that always fails: retries go on only as far as the budget allows (reserve plus
 * retryRatio of the requests), then stop; once the window has passed (virtual clock) they resume.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BudgetExhaustionTest {
  final ActorTestKit kit = ActorTestKit.create("BudgetExhaustionTest");
  final Materializer materializer = Materializer.matFromSystem(kit.system());
  final AtomicLong clock = new AtomicLong();

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  int status(Retries retries, ProfileRoute route) throws Exception {
    HttpResponse r =
        retries
            .serve(HttpRequest.POST("http://web-svc/api"), Upstream.exchange(route))
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    r.discardEntityBytes(materializer);
    return r.status().intValue();
  }

  @Test
  void retriesStopWhenTheBudgetIsSpentAndResumeAfterTtl() throws Exception {
    Upstream failing =
        new Upstream(
            materializer,
            (n, body) -> CompletableFuture.completedFuture(HttpResponse.create().withStatus(500)));
    Retries retries =
        (Retries) Retries.budgeted(new RouteMetrics(), materializer, clock::get, 65536)
            .wrap(failing);
    ProfileRoute route =
        Upstream.retryableRoute(
            new ServiceProfile.RetryBudget(0.2, 1, Duration.ofSeconds(10)), null);

    for (int i = 0; i < 100; i++) {
      assertEquals(500, status(retries, route), "the caller sees the last failure");
    }
    // 100 requests, reserve 1/s * 10 s = 10 retries, plus 0.2 * 100 = 20: 130 attempts in all.
    assertEquals(130, failing.attempts());

    int before = failing.attempts();
    for (int i = 0; i < 10; i++) {
      status(retries, route);
    }
    // Budget spent: each new request earns 0.2 of a retry, so 10 requests make 2 more.
    assertEquals(before + 10 + 2, failing.attempts());

    clock.addAndGet(Duration.ofSeconds(11).toNanos());
    before = failing.attempts();
    status(retries, route);
    assertTrue(
        failing.attempts() - before > 1, "a ttl later the reserve is back: the request is retried");
  }

  @Test
  void aFailedAttemptThatIsRetriedIsInvisibleToTheCaller() throws Exception {
    Upstream flaky =
        new Upstream(
            materializer,
            (n, body) ->
                CompletableFuture.completedFuture(
                    HttpResponse.create().withStatus(n % 2 == 1 ? 503 : 200)));
    Retries retries =
        (Retries) Retries.budgeted(new RouteMetrics(), materializer, clock::get, 65536).wrap(flaky);
    ProfileRoute route = Upstream.retryableRoute(ServiceProfile.RetryBudget.DEFAULT, null);
    for (int i = 0; i < 20; i++) {
      assertEquals(200, status(retries, route));
    }
    assertEquals(40, flaky.attempts());
  }
}
