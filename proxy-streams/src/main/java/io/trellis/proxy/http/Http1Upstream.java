package io.trellis.proxy.http;

import io.trellis.config.HostPort;
import io.trellis.proxy.errors.ConnectFailures;
import io.trellis.proxy.errors.ProxyError;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.http.scaladsl.HttpExt;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import scala.Tuple2;
import scala.util.Try;

/**
 * HTTP/1.1 to one endpoint through a dedicated pekko-http host connection pool, fed by a bounded
 * queue: offering is a non-blocking call that either enqueues or reports the queue full (load
 * shed), and responses come back with the request's own future as context, in any order.
 */
final class Http1Upstream implements Upstream {
  private final HostPort address;
  private final Duration connectTimeout;
  private final BoundedSourceQueue<
          Tuple2<org.apache.pekko.http.scaladsl.model.HttpRequest, CompletableFuture<HttpResponse>>>
      queue;

  Http1Upstream(
      HostPort address,
      HttpExt http,
      ConnectionPoolSettings settings,
      Duration connectTimeout,
      int queueSize,
      LoggingAdapter log,
      Materializer materializer,
      HttpsConnectionContext https) {
    this.address = address;
    this.connectTimeout = connectTimeout;
    // The scaladsl pool: javadsl's newHostConnectionPool(ConnectHttp, settings, log, mat) picks
    // its default HTTPS context even for a plain http ConnectHttp (pekko-http 1.3.0), so it would
    // speak TLS to a plaintext endpoint.
    this.queue =
        Source
            .<Tuple2<
                    org.apache.pekko.http.scaladsl.model.HttpRequest,
                    CompletableFuture<HttpResponse>>>
                queue(queueSize)
            .via(
                (https == null
                        ? http.<CompletableFuture<HttpResponse>>newHostConnectionPool(
                            address.host(),
                            address.port(),
                            (org.apache.pekko.http.scaladsl.settings.ConnectionPoolSettings)
                                settings,
                            log,
                            materializer)
                        // mTLS to a meshed endpoint (see tls.OutboundTls)
                        : http.<CompletableFuture<HttpResponse>>newHostConnectionPoolHttps(
                            address.host(),
                            address.port(),
                            (org.apache.pekko.http.scaladsl.HttpsConnectionContext) https,
                            (org.apache.pekko.http.scaladsl.settings.ConnectionPoolSettings)
                                settings,
                            log,
                            materializer))
                    .asJava())
            .to(Sink.foreach(this::deliver))
            .run(materializer);
  }

  @Override
  public CompletionStage<HttpResponse> send(HttpRequest request) {
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    QueueOfferResult offered =
        queue.offer(
            Tuple2.apply((org.apache.pekko.http.scaladsl.model.HttpRequest) request, response));
    if (!offered.isEnqueued()) {
      response.completeExceptionally(
          offered == QueueOfferResult.dropped()
              ? ProxyError.loadShed(address)
              : ProxyError.endpointIo(address, "connection pool closed", null));
    }
    return response;
  }

  private void deliver(
      Tuple2<
              Try<org.apache.pekko.http.scaladsl.model.HttpResponse>,
              CompletableFuture<HttpResponse>>
          result) {
    Try<org.apache.pekko.http.scaladsl.model.HttpResponse> response = result._1();
    if (response.isSuccess()) {
      result._2().complete(response.get());
    } else {
      result
          ._2()
          .completeExceptionally(
              ConnectFailures.classify(response.failed().get(), address, connectTimeout));
    }
  }

  @Override
  public void close() {
    Upstream.complete(queue);
  }
}
