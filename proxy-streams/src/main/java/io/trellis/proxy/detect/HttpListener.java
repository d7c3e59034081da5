package io.trellis.proxy.detect;

import io.trellis.config.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * One port serving HTTP/1.1 and HTTP/2 with prior knowledge (h2c), detected per connection from
 * its first bytes, and never upgrading an HTTP/1.1 connection to HTTP/2: an {@code Upgrade: h2c}
 * request is answered over HTTP/1.1, as Linkerd does.
 *
 * <p>Why not pekko's own HTTP/2-enabled binding: it takes every h2c upgrade offer (hard-wired in
 * pekko-http 1.3.0's {@code Http2Ext.handleUpgradeRequests}, no setting), and its upgrade answers
 * 101 before the upgrade request's body has been read, so the HTTP/1 layer treats it as an early
 * response and closes the connection: a streamed or large body on the first request of a
 * connection (Java's HttpClient offers the upgrade on every first request, POSTs included) breaks
 * the connection. And the requests that follow an upgrade come as HTTP/2 streams whose
 * {@code :authority} is the address the client dialed, not the Host header it set.
 *
 * <p>pekko-http has no public per-connection HTTP/2 server flow, so each protocol keeps a pekko
 * binding of its own on a loopback ephemeral port, with all of pekko's connection handling (limits,
 * idle timeout, graceful termination): HTTP/1.1 only ({@code enable-http2 = off}: upgrade requests
 * reach the handler as plain requests) and HTTP/2-enabled (only ever handed connections that
 * start with the preface). This listener owns the public port and splices each connection, bytes
 * untouched, to one of them. The cost is one loopback hop per connection (two more sockets, one
 * more copy of every byte); {@code max-connections} applies to each of the two servers.
 */
public final class HttpListener {
  private final Tcp.ServerBinding front;
  private final ServerBinding http1;
  private final ServerBinding http2;

  private HttpListener(Tcp.ServerBinding front, ServerBinding http1, ServerBinding http2) {
    this.front = front;
    this.http1 = http1;
    this.http2 = http2;
  }

  /**
   * Binds {@code at}; completes once the port accepts connections.
   *
   * @param settings pekko server settings with HTTP/2 enabled (its HTTP/2 settings are used for
   *     h2c connections)
   */
  public static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      HostPort at,
      ServerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    Http http = Http.get(system);
    String loopback = InetAddress.getLoopbackAddress().getHostAddress();
    CompletableFuture<ServerBinding> http1 =
        http.newServerAt(loopback, 0)
            .withSettings(settings.withEnableHttp2(false))
            .bind(handler)
            .toCompletableFuture();
    CompletableFuture<ServerBinding> http2 =
        http.newServerAt(loopback, 0)
            .withSettings(settings.withEnableHttp2(true))
            .bind(handler)
            .toCompletableFuture();
    CompletableFuture<HttpListener> listener =
        CompletableFuture.allOf(http1, http2)
            .thenCompose(
                both ->
                    front(
                        system,
                        at,
                        settings,
                        http1.join().localAddress(),
                        http2.join().localAddress()))
            .thenApply(front -> new HttpListener(front, http1.join(), http2.join()));
    // A listener that did not come up must not leave its servers bound.
    listener.whenComplete(
        (ok, failure) -> {
          if (failure != null) {
            http1.thenAccept(ServerBinding::unbind);
            http2.thenAccept(ServerBinding::unbind);
          }
        });
    return listener;
  }

  /** The public port: every connection it accepts is spliced to one of the two servers. */
  private static CompletionStage<Tcp.ServerBinding> front(
      ActorSystem<?> system,
      HostPort at,
      ServerSettings settings,
      InetSocketAddress http1,
      InetSocketAddress http2) {
    Materializer mat = Materializer.matFromSystem(system);
    Tcp tcp = Tcp.get(system);
    // halfClose = false and no TCP idle timeout, as pekko binds: the servers behind close idle
    // connections, and the splice ends with them.
    return tcp.bind(at.host(), at.port(), settings.getBacklog(), List.of(), false, Optional.empty())
        .to(Sink.foreach(c -> c.handleWith(splice(tcp, http1, http2), mat)))
        .run(mat);
  }

  /** Detects the protocol from the connection's first bytes, then pipes it to that server. */
  private static Flow<ByteString, ByteString, NotUsed> splice(
      Tcp tcp, InetSocketAddress http1, InetSocketAddress http2) {
    return Preface.decisiveHead()
        .flatMapPrefix(
            1,
            prefix -> {
              var it = prefix.iterator();
              if (!it.hasNext()) {
                // closed before sending anything
                return Flow.fromSinkAndSource(Sink.ignore(), Source.empty());
              }
              ByteString head = it.next();
              InetSocketAddress server = Preface.isHttp2(head) ? http2 : http1;
              // halfClose = true: when the client stops sending, the server behind still gets
              // to finish its response, as it would on a direct connection.
              return Flow.<ByteString>create()
                  .prepend(Source.single(head))
                  .via(
                      tcp.outgoingConnection(
                          server, Optional.empty(), List.of(), true, Optional.empty(),
                          Optional.empty()));
            })
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  public InetSocketAddress localAddress() {
    return front.localAddress();
  }

  /** Stops accepting connections; connections already open stay. */
  public CompletionStage<Done> unbind() {
    return front.unbind().thenApply(ok -> Done.getInstance());
  }

  /**
   * Stops accepting connections and lets requests in flight finish for up to {@code deadline}
   * (pekko's graceful termination, on both servers).
   */
  public CompletionStage<Done> terminate(Duration deadline) {
    return unbind()
        .thenCompose(
            ok ->
                CompletableFuture.allOf(
                    http1.terminate(deadline).toCompletableFuture(),
                    http2.terminate(deadline).toCompletableFuture()))
        .thenApply(ok -> Done.getInstance());
  }
}
