package io.trellis.proxy.http;

import io.trellis.config.HostPort;
import io.trellis.proxy.errors.ConnectFailures;
import io.trellis.proxy.errors.ProxyError;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.ConnectHttp;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import scala.util.Try;

/**
 * HTTP/1.1 to one endpoint through a dedicated pekko-http host connection pool, fed by a bounded
 * queue: offering is a non-blocking call that either enqueues or reports the queue full (load
 * shed), and responses come back with the request's own future as context, in any order.
 */
final class Http1Upstream implements Upstream {
  private final HostPort address;
  private final Duration connectTimeout;
  private final BoundedSourceQueue<Pair<HttpRequest, CompletableFuture<HttpResponse>>> queue;

  Http1Upstream(
      HostPort address,
      Http http,
      ConnectionPoolSettings settings,
      Duration connectTimeout,
      int queueSize,
      LoggingAdapter log,
      Materializer materializer) {
    this.address = address;
    this.connectTimeout = connectTimeout;
    this.queue =
        Source.<Pair<HttpRequest, CompletableFuture<HttpResponse>>>queue(queueSize)
            .via(
                http.<CompletableFuture<HttpResponse>>newHostConnectionPool(
                    ConnectHttp.toHost(address.host(), address.port()),
                    settings,
                    log,
                    materializer))
            .to(Sink.foreach(this::deliver))
            .run(materializer);
  }

  @Override
  public CompletionStage<HttpResponse> send(HttpRequest request) {
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    QueueOfferResult offered = queue.offer(Pair.create(request, response));
    if (!offered.isEnqueued()) {
      response.completeExceptionally(
          offered == QueueOfferResult.dropped()
              ? ProxyError.loadShed(address)
              : ProxyError.endpointIo(address, "connection pool closed", null));
    }
    return response;
  }

  private void deliver(Pair<Try<HttpResponse>, CompletableFuture<HttpResponse>> result) {
    Try<HttpResponse> response = result.first();
    if (response.isSuccess()) {
      result.second().complete(response.get());
    } else {
      result
          .second()
          .completeExceptionally(
              ConnectFailures.classify(response.failed().get(), address, connectTimeout));
    }
  }

  @Override
  public void close() {
    queue.complete();
  }
}
