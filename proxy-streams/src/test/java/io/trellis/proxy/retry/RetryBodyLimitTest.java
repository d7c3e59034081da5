package io.trellis.proxy.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.ServiceProfile;
import io.trellis.proxy.metrics.RouteMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A POST whose first attempt fails: a body of up to 64 KiB is replayed to the second attempt (the
 * same bytes), a larger one streams through once and is never retried, however it is framed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetryBodyLimitTest {
  static final int LIMIT = 64 * 1024;
  final ActorTestKit kit = ActorTestKit.create("RetryBodyLimitTest");
  final Materializer materializer = Materializer.matFromSystem(kit.system());

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  /** Sends {@code entity}; the endpoint fails the first attempt and answers 200 to the next. */
  Upstream post(RequestEntity entity, int[] status) throws Exception {
    Upstream upstream =
        new Upstream(
            materializer,
            (n, body) ->
                CompletableFuture.completedFuture(
                    HttpResponse.create().withStatus(n == 1 ? 502 : 200)));
    Retries retries =
        (Retries) Retries.budgeted(new RouteMetrics(), materializer, System::nanoTime, LIMIT)
            .wrap(upstream);
    HttpResponse r =
        retries
            .serve(
                HttpRequest.POST("http://web-svc/api").withEntity(entity),
                Upstream.exchange(
                    Upstream.retryableRoute(ServiceProfile.RetryBudget.DEFAULT, null)))
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    r.discardEntityBytes(materializer);
    status[0] = r.status().intValue();
    return upstream;
  }

  static ByteString body(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return ByteString.fromArray(b);
  }

  /** The body in 1000-byte pieces, as it would stream in. */
  static Source<ByteString, ?> pieces(ByteString body) {
    List<ByteString> parts = new ArrayList<>();
    for (int i = 0; i < body.size(); i += 1000) {
      parts.add(body.slice(i, Math.min(body.size(), i + 1000)));
    }
    return Source.from(parts);
  }

  static List<RequestEntity> framings(ByteString body) {
    return List.of(
        HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, body),
        HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, body.size(), pieces(body)),
        HttpEntities.createChunked(ContentTypes.APPLICATION_OCTET_STREAM, pieces(body)));
  }

  @Test
  void oneKibBodyIsRetriedWithTheSameBytes() throws Exception {
    ByteString body = body(1024);
    for (RequestEntity entity : framings(body)) {
      int[] status = new int[1];
      Upstream upstream = post(entity, status);
      assertEquals(200, status[0], entity.getClass().getSimpleName());
      assertEquals(2, upstream.attempts(), entity.getClass().getSimpleName());
      assertEquals(body, upstream.bodies.get(0));
      assertEquals(body, upstream.bodies.get(1));
    }
  }

  @Test
  void exactly64KibIsStillRetried() throws Exception {
    for (RequestEntity entity : framings(body(LIMIT))) {
      int[] status = new int[1];
      assertEquals(2, post(entity, status).attempts(), entity.getClass().getSimpleName());
    }
  }

  @Test
  void sixtyFiveKibBodyIsNeverRetried() throws Exception {
    ByteString body = body(65 * 1024);
    for (RequestEntity entity : framings(body)) {
      int[] status = new int[1];
      Upstream upstream = post(entity, status);
      assertEquals(502, status[0], entity.getClass().getSimpleName());
      assertEquals(1, upstream.attempts(), entity.getClass().getSimpleName());
      assertEquals(body, upstream.bodies.get(0), "streamed through whole");
    }
  }
}
