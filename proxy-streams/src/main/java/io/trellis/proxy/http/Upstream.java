package io.trellis.proxy.http;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The proxy's connection(s) to one endpoint. Completes with the response headers (the body streams
 * in the entity) or fails with a {@link io.trellis.proxy.errors.ProxyError} naming the endpoint.
 * Never blocks.
 */
interface Upstream {
  CompletionStage<HttpResponse> send(HttpRequest request);

  /** Stops accepting requests; requests in flight finish on their connection. */
  void close();

  /** Completes a request queue unless it already is (closing races with a failing connection). */
  static void complete(org.apache.pekko.stream.BoundedSourceQueue<?> queue) {
    try {
      if (!queue.isCompleted()) {
        queue.complete();
      }
    } catch (IllegalStateException alreadyCompleted) {
      // Completed concurrently: nothing left to do.
    }
  }
}
