package io.trellis.proxy.fused;

import io.trellis.config.HostPort;
import io.trellis.proxy.detect.Detected;
import io.trellis.proxy.detect.HttpListener;
import io.trellis.proxy.detect.OtherProtocols;
import io.trellis.proxy.detect.ProxyListener;
import io.trellis.proxy.detect.Sniff;
import io.trellis.proxy.http1.Http1Decoder;
import io.trellis.proxy.transport.LoopTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
   * @param opaque whether the port is opaque (every connection spliced to the delegate)
   * @param limits detection bounds (as the pekko listener's)
   * @param meter wraps each plaintext HTTP/1.1 connection's flow (TCP metrics; the delegate
   *     meters what is spliced to it)
   */
  public static CompletionStage<FusedListener> bind(
      HostPort at,
      int backlog,
      int maxConnections,
      FusedPath path,
      HttpListener delegate,
      BooleanSupplier opaque,
      OtherProtocols.Limits limits,
      UnaryOperator<Flow<ByteString, ByteString, NotUsed>> meter) {
    Connections connections = new Connections();
    CompletableFuture<FusedListener> bound = new CompletableFuture<>();
    path.transport()
        .bind(
            new InetSocketAddress(at.host(), at.port()),
            backlog,
            maxConnections,
            remote -> {
              if (opaque.getAsBoolean()) {
                return path.transport().connect(path.delegate());
              }
              return Sniff.thenServe(
                  Sniff.head(Detected::decisive, limits.maxPrefix(), limits.timeout()),
                  head ->
                      Detected.of(head) == Detected.HTTP1
                          ? meter.apply(
                              Flow.<ByteString>create()
                                  .via(Http1Decoder.requests(path.limits()))
                                  .via(new FusedHttp1(path, remote, connections::register)))
                          : path.transport().connect(path.delegate()));
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
