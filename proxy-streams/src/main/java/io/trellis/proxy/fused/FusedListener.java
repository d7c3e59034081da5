package io.trellis.proxy.fused;

import io.trellis.config.HostPort;
import io.trellis.proxy.detect.Detected;
import io.trellis.proxy.detect.HttpListener;
import io.trellis.proxy.detect.OtherProtocols;
import io.trellis.proxy.detect.ProxyListener;
import io.trellis.proxy.http1.Http1Decoder;
import io.trellis.proxy.transport.LoopTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.util.ByteString;

/**
 * A proxy port on the event-loop transport ({@code trellis.proxy.transport.kind = loop}): each
 * accepted connection's first bytes are sniffed on its loop; plaintext HTTP/1.1 is served there by
 * {@link FusedHttp1}, and every other connection (TLS, h2c, opaque TCP) is spliced, bytes
 * untouched, to the same side's pekko-http {@link HttpListener} on a loopback port, which also
 * serves the requests {@link FusedHttp1} delegates. What the port does is therefore what the
 * pekko listener does; the fused path is the fast way for the common request.
 */
public final class FusedListener implements ProxyListener {
  private final LoopTransport.Binding binding;
  private final HttpListener delegate;
  private final Connections connections;

  private FusedListener(
      LoopTransport.Binding binding, HttpListener delegate, Connections connections) {
    this.binding = binding;
    this.delegate = delegate;
    this.connections = connections;
  }

  /** The open HTTP/1.1 connections' drain callbacks, for graceful termination. */
  private static final class Connections {
    private final Set<AsyncCallback<Boolean>> open = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Done> drained = new CompletableFuture<>();
    private volatile boolean terminating;

    Runnable register(AsyncCallback<Boolean> drain) {
      open.add(drain);
      if (terminating) {
        drain.invoke(true);
      }
      return () -> {
        open.remove(drain);
        if (terminating && open.isEmpty()) {
          drained.complete(Done.getInstance());
        }
      };
    }

    CompletableFuture<Done> drain(Duration deadline) {
      terminating = true;
      open.forEach(c -> c.invoke(true));
      if (open.isEmpty()) {
        drained.complete(Done.getInstance());
      }
      return drained.completeOnTimeout(
          Done.getInstance(), deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Binds {@code at}.
   *
   * @param path the side's fused path; its {@code delegate} is {@code delegate}'s address
   * @param delegate the side's pekko-http listener on loopback (owned by the returned listener)
   * @param others inbound: serves TLS (mTLS terminated here, then HTTP/1.1 fused inside) and
   *     opaque TCP, and says whether the port is opaque; null outbound (TLS and anything else not
   *     HTTP is spliced to the delegate)
   * @param limits detection bounds (as the pekko listener's)
   * @param meter wraps each plaintext HTTP connection's flow (TCP metrics; {@code others} meters
   *     TLS and opaque connections)
   */
  public static CompletionStage<FusedListener> bind(
      HostPort at,
      int backlog,
      int maxConnections,
      FusedPath path,
      HttpListener delegate,
      OtherProtocols others,
      OtherProtocols.Limits limits,
      UnaryOperator<Flow<ByteString, ByteString, NotUsed>> meter) {
    Connections connections = new Connections();
    CompletableFuture<FusedListener> bound = new CompletableFuture<>();
    boolean opaque = others != null && others.opaque();
    // The head is read by the transport before the connection's graph exists, so the flow chosen
    // for it is fused with the socket's stage (Sniff.thenServe's flatMapPrefix would make it a
    // sub-stream: every element and pull an actor message between two graphs).
    LoopTransport.Sniffing sniffing =
        new LoopTransport.Sniffing(
            opaque ? head -> !head.isEmpty() : Detected::decisive,
            limits.maxPrefix(),
            limits.timeout());
    path.transport()
        .bind(
            new InetSocketAddress(at.host(), at.port()),
            backlog,
            maxConnections,
            sniffing,
            (remote, head) -> {
              // HTTP inside a verified mTLS session: HTTP/1.1 fused, h2 by the delegate's server
              OtherProtocols.HttpServers servers =
                  (kind, from, peer) ->
                      kind == Detected.HTTP1
                          ? fused(path, from, peer, connections)
                          : delegate.servers().serve(kind, from, peer);
              Detected kind = Detected.of(head);
              if (opaque && kind != Detected.TLS) {
                kind = Detected.OPAQUE;
              }
              return switch (kind) {
                case HTTP1 -> meter.apply(fused(path, remote, null, connections));
                case HTTP2 -> meter.apply(delegate.servers().serve(kind, remote, null));
                case TLS, OPAQUE ->
                    others != null
                        ? others.serve(kind, remote, servers)
                        : path.transport().connect(path.delegate());
              };
            })
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                delegate.unbind();
                bound.completeExceptionally(failure);
              } else {
                bound.complete(new FusedListener(binding, delegate, connections));
              }
            });
    return bound;
  }

  private static Flow<ByteString, ByteString, NotUsed> fused(
      FusedPath path, InetSocketAddress remote, String peerIdentity, Connections connections) {
    return Flow.<ByteString>create()
        .via(Http1Decoder.requests(path.limits()))
        .via(new FusedHttp1(path, remote, peerIdentity, connections::register));
  }

  @Override
  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  @Override
  public CompletionStage<Done> unbind() {
    binding.close();
    return delegate.unbind();
  }

  /**
   * Stops accepting; each connection closes after its request in flight (at once when idle), for
   * up to {@code deadline}; the delegate terminates likewise.
   */
  @Override
  public CompletionStage<Done> terminate(Duration deadline) {
    binding.close();
    CompletableFuture<Done> own = connections.drain(deadline);
    return CompletableFuture.allOf(own, delegate.terminate(deadline).toCompletableFuture())
        .thenApply(ok -> Done.getInstance());
  }
}
