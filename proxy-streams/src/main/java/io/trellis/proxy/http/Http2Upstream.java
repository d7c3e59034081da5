package io.trellis.proxy.http;

import io.trellis.config.HostPort;
import io.trellis.proxy.errors.ConnectFailures;
import io.trellis.proxy.errors.ProxyError;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.OutgoingConnection;
import org.apache.pekko.http.javadsl.OutgoingConnectionBuilder;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseFuture;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * HTTP/2 (prior knowledge, plaintext) to one endpoint over one multiplexed connection.
 *
 * <p>pekko-http's {@code managedPersistentHttp2WithPriorKnowledge} reconnects on its own but hides
 * why a connection failed (it retries a refused connect forever and answers its own 502 when a
 * connection drops), so this class manages the connection itself: requests go through a bounded
 * queue into {@code http2WithPriorKnowledge()}; each carries its own future as a {@link
 * ResponseFuture} attribute, which the HTTP/2 client copies to the matching response (responses
 * come back in any order). When the connection fails to open or ends, every request still waiting
 * for response headers fails with the cause, and the next request opens a new connection. Requests
 * whose response is already streaming stay on the old connection until their streams end.
 */
final class Http2Upstream implements Upstream {
  private final HostPort address;
  private final OutgoingConnectionBuilder connections;
  private final Duration connectTimeout;
  private final int queueSize;
  private final Materializer materializer;
  /** h2 over mTLS (ALPN) instead of h2c prior knowledge. */
  private final boolean tls;
  private final AtomicReference<Connection> current = new AtomicReference<>();
  private volatile boolean closed;

  Http2Upstream(
      HostPort address,
      OutgoingConnectionBuilder connections,
      Duration connectTimeout,
      int queueSize,
      Materializer materializer,
      boolean tls) {
    this.tls = tls;
    this.address = address;
    this.connections = connections;
    this.connectTimeout = connectTimeout;
    this.queueSize = queueSize;
    this.materializer = materializer;
  }

  @Override
  public CompletionStage<HttpResponse> send(HttpRequest request) {
    if (closed) {
      return CompletableFuture.failedFuture(ProxyError.endpointIo(address, "client closed", null));
    }
    return connection().send(request);
  }

  private Connection connection() {
    while (true) {
      Connection c = current.get();
      if (c != null && c.failure.get() == null) {
        return c;
      }
      Connection fresh = new Connection();
      if (current.compareAndSet(c, fresh)) {
        return fresh;
      }
      // Another request opened one first; drop ours before it carries anything.
      Upstream.complete(fresh.queue);
    }
  }

  @Override
  public void close() {
    closed = true;
    Connection c = current.get();
    if (c != null) {
      Upstream.complete(c.queue);
    }
  }

  /** One HTTP/2 connection and the requests waiting on it for response headers. */
  private final class Connection {
    final AtomicReference<ProxyError> failure = new AtomicReference<>();
    final Set<CompletableFuture<HttpResponse>> waiting = ConcurrentHashMap.newKeySet();
    final BoundedSourceQueue<HttpRequest> queue;

    Connection() {
      Pair<
              Pair<BoundedSourceQueue<HttpRequest>, CompletionStage<OutgoingConnection>>,
              CompletionStage<Done>>
          running =
              Source.<HttpRequest>queue(queueSize)
                  .viaMat(tls ? connections.http2() : connections.http2WithPriorKnowledge(), Keep.both())
                  .toMat(Sink.foreach(this::deliver), Keep.both())
                  .run(materializer);
      queue = running.first().first();
      CompletionStage<OutgoingConnection> connected = running.first().second();
      // When the connect fails the stream ends too, in either order; the connect failure says
      // why (refused, timed out), so the end is only looked at once the connect outcome is known.
      running
          .second()
          .whenComplete(
              (done, ended) ->
                  connected.whenComplete(
                      (connection, connectFailure) -> {
                        if (connectFailure != null) {
                          fail(ConnectFailures.classify(connectFailure, address, connectTimeout));
                        } else if (ended != null) {
                          fail(ConnectFailures.classify(ended, address, connectTimeout));
                        } else {
                          fail(ProxyError.endpointIo(address, "connection closed", null));
                        }
                      }));
    }

    CompletionStage<HttpResponse> send(HttpRequest request) {
      CompletableFuture<HttpResponse> response = new CompletableFuture<>();
      waiting.add(response);
      QueueOfferResult offered =
          queue.offer(request.addAttribute(ResponseFuture.KEY(), ResponseFuture.apply(response)));
      if (offered == QueueOfferResult.dropped()) {
        waiting.remove(response);
        response.completeExceptionally(ProxyError.loadShed(address));
      } else {
        // Enqueued, or the queue already ended because the connection failed (a refused connect
        // can end it before the first offer): either way the request stays in `waiting` and
        // fail() answers it with the connection's real cause (refused, timed out), not a guess.
        // fail() may also have drained `waiting` just before this request was added.
        ProxyError failed = failure.get();
        if (failed != null && waiting.remove(response)) {
          response.completeExceptionally(failed);
        }
      }
      return response;
    }

    private void deliver(HttpResponse response) {
      response
          .getAttribute(ResponseFuture.KEY())
          .ifPresent(
              handle -> {
                waiting.remove(handle.future());
                handle.future().complete(response);
              });
    }

    private void fail(ProxyError cause) {
      if (!failure.compareAndSet(null, cause)) {
        return;
      }
      Upstream.complete(queue);
      for (CompletableFuture<HttpResponse> response : waiting) {
        waiting.remove(response);
        response.completeExceptionally(cause);
      }
    }
  }
}
