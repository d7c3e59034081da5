package io.trellis.proxy.tcp;

import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import io.trellis.identity.IdentityName;
import io.trellis.proxy.balance.Destination;
import io.trellis.proxy.balance.Destinations;
import io.trellis.proxy.balance.EndpointHandle;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.tls.OutboundTls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream listener, as Consul Connect has them: mesh.conf's {@code upstreams { cache = 6379 }}
 * makes the workload's proxy listen on its address at 6379 and carry each connection, as opaque
 * TCP, to an endpoint of service {@code cache} picked by the balancer (p2c over Peak-EWMA, the
 * connection counting as one request for its whole life). A meshed endpoint is reached at its
 * proxy's inbound port over mTLS (ALPN says opaque, so the peer forwards without detection) and
 * must prove the identity discovery announced; an unmeshed one directly, in plaintext.
 */
public final class UpstreamListener {
  private static final Logger log = LoggerFactory.getLogger(UpstreamListener.class);

  private final Tcp.ServerBinding binding;

  private UpstreamListener(Tcp.ServerBinding binding) {
    this.binding = binding;
  }

  /** What an upstream listener needs from the sidecar. */
  public record Wiring(
      Supplier<MeshConfig> mesh,
      Destinations destinations,
      TcpForward forward,
      OutboundTls tls,
      Function<Endpoint, Optional<IdentityName>> identities,
      Duration failFast) {}

  /** Binds {@code at} for connections to {@code service}; completes once it accepts them. */
  public static CompletionStage<UpstreamListener> bind(
      ActorSystem<?> system, HostPort at, String service, Wiring wiring) {
    Materializer mat = Materializer.matFromSystem(system);
    return Tcp.get(system)
        .bind(at.host(), at.port())
        .to(
            Sink.foreach(
                c ->
                    c.handleWith(
                        connection(service, wiring, c.remoteAddress())
                            .watchTermination(
                                (m, done) -> done.handle((ok, failure) -> Done.getInstance())),
                        mat)))
        .run(mat)
        .thenApply(UpstreamListener::new);
  }

  /** One app connection: picks an endpoint, then pipes bytes both ways. */
  private static Flow<ByteString, ByteString, NotUsed> connection(
      String service, Wiring wiring, InetSocketAddress remote) {
    TcpMetrics metrics = wiring.forward().metrics();
    CompletableFuture<Flow<ByteString, ByteString, NotUsed>> upstream =
        pick(service, wiring)
            .thenApply(endpoint -> to(endpoint, wiring))
            .exceptionally(
                failure -> {
                  log.warn("upstream {} from {}: {}", service, remote, failure.getMessage());
                  // closes the app's connection: there is nowhere to send it
                  return Flow.fromSinkAndSource(
                      Sink.cancelled(), org.apache.pekko.stream.javadsl.Source.empty());
                });
    return metrics.meterPlain(
        new TcpMetrics.Labels(
            Direction.OUTBOUND, TcpMetrics.Peer.SRC, TlsLabels.noIdentity("loopback")),
        Flow.completionStageFlow(upstream));
  }

  private static CompletableFuture<EndpointHandle> pick(String service, Wiring wiring) {
    MeshConfig mesh = wiring.mesh().get();
    ServiceConfig config = mesh.services().get(service);
    if (config == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("service " + service + " is not in the mesh"));
    }
    Destination destination =
        wiring.destinations().destination(new ServiceRef(mesh.namespace(), service, config.port()));
    EndpointHandle now = destination.pick();
    if (now != null) {
      return CompletableFuture.completedFuture(now);
    }
    return destination
        .whenNonEmpty(wiring.failFast())
        .toCompletableFuture()
        .handle((set, timeout) -> destination.pick())
        .thenCompose(
            late ->
                late != null
                    ? CompletableFuture.completedFuture(late)
                    : CompletableFuture.failedFuture(
                        new IllegalStateException(
                            "no endpoints within " + wiring.failFast().toMillis() + "ms")));
  }

  /** The connection to the endpoint, counted as dispatched to it until it ends. */
  private static Flow<ByteString, ByteString, NotUsed> to(EndpointHandle handle, Wiring wiring) {
    Endpoint endpoint = handle.endpoint();
    Optional<IdentityName> identity =
        wiring.tls() == null ? Optional.empty() : wiring.identities().apply(endpoint);
    Flow<ByteString, ByteString, NotUsed> connection;
    if (identity.isPresent()) {
      TlsLabels labels = TlsLabels.secured(identity.get().toString());
      connection =
          wiring
              .forward()
              .metrics()
              .meterPlain(
                  new TcpMetrics.Labels(Direction.OUTBOUND, TcpMetrics.Peer.DST, labels),
                  wiring
                      .tls()
                      .opaque(identity.get(), wiring.forward().connect(endpoint.address())));
    } else {
      TlsLabels labels =
          wiring.tls() == null ? TlsLabels.DISABLED : TlsLabels.NOT_PROVIDED_BY_DISCOVERY;
      connection = wiring.forward().to(endpoint.address(), Direction.OUTBOUND, labels);
    }
    return connection.watchTermination(
        (m, done) -> {
          EndpointHandle.Dispatch dispatch = handle.dispatch(System.nanoTime());
          done.whenComplete(
              (ok, failure) -> dispatch.complete(System.nanoTime(), failure != null));
          return NotUsed.getInstance();
        });
  }

  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  public CompletionStage<Done> unbind() {
    return binding.unbind().thenApply(ok -> Done.getInstance());
  }
}
