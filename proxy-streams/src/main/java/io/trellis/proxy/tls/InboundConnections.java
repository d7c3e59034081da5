package io.trellis.proxy.tls;

import io.trellis.config.HostPort;
import io.trellis.identity.tls.PeerIdentity;
import io.trellis.identity.tls.TlsContexts;
import io.trellis.proxy.detect.Detected;
import io.trellis.proxy.detect.OtherProtocols;
import io.trellis.proxy.detect.Sniff;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.proxy.metrics.TlsLabels;
import io.trellis.proxy.tcp.TcpForward;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound listener's connections that are not plaintext HTTP: mTLS from peer proxies is
 * terminated here (TLS 1.3, client certificate required and verified against the trust anchors;
 * the client's identity read from its SAN), then detected again inside (HTTP/1.1, h2 by ALPN or
 * preface, else opaque TCP); anything else is opaque TCP forwarded to the app byte for byte.
 *
 * <p>Nothing reaches the app before a handshake has succeeded: the app connection is opened only
 * once the session is verified. A proxy without credentials (no identity) forwards a ClientHello
 * to the app as opaque TCP (the app may speak TLS itself); one whose first certificate has not
 * arrived yet refuses TLS.
 */
public final class InboundConnections implements OtherProtocols {
  private static final Logger log = LoggerFactory.getLogger(InboundConnections.class);

  private final Optional<TlsContexts> tls;
  private final TcpForward forward;
  private final HostPort app;
  private final Limits limits;
  private final BooleanSupplier opaque;

  /**
   * @param tls the proxy's mTLS contexts; empty when it has no identity
   * @param opaque whether the app's port is opaque now (mesh.conf may change it)
   */
  public InboundConnections(
      Optional<TlsContexts> tls,
      TcpForward forward,
      HostPort app,
      Limits limits,
      BooleanSupplier opaque) {
    this.tls = tls;
    this.forward = forward;
    this.app = app;
    this.limits = limits;
    this.opaque = opaque;
  }

  @Override
  public Limits limits() {
    return limits;
  }

  @Override
  public boolean opaque() {
    return opaque.getAsBoolean();
  }

  @Override
  public Flow<ByteString, ByteString, NotUsed> serve(
      Detected kind, InetSocketAddress remote, HttpServers http) {
    TlsLabels plain =
        tls.isPresent() ? TlsLabels.NOT_PROVIDED_BY_REMOTE : TlsLabels.DISABLED;
    if (kind == Detected.TLS && tls.isPresent()) {
      if (!tls.get().credentials().isReady()) {
        log.debug("refusing TLS from {}: no certificate yet", remote);
        return Flow.fromSinkAndSource(Sink.cancelled(), Source.empty());
      }
      return terminate(tls.get(), remote, http);
    }
    return opaqueToApp(plain);
  }

  /** Opaque TCP to the app, metered on both of the proxy's connections. */
  private Flow<ByteString, ByteString, NotUsed> opaqueToApp(TlsLabels labels) {
    TcpMetrics metrics = forward.metrics();
    return metrics.meterPlain(
        new TcpMetrics.Labels(Direction.INBOUND, TcpMetrics.Peer.SRC, labels),
        forward.to(app, Direction.INBOUND, labels));
  }

  /** Terminates mTLS, then serves what is inside once the handshake has verified the client. */
  private Flow<ByteString, ByteString, NotUsed> terminate(
      TlsContexts contexts, InetSocketAddress remote, HttpServers http) {
    AtomicReference<SSLEngine> engine = new AtomicReference<>();
    CompletableFuture<SSLEngine> verified = new CompletableFuture<>();
    var tlsStage =
        TLS.create(
            () -> {
              SSLEngine e = contexts.serverEngine();
              SSLParameters params = e.getSSLParameters();
              params.setApplicationProtocols(new String[] {Alpn.OPAQUE, Alpn.H2, Alpn.HTTP11});
              e.setSSLParameters(params);
              engine.set(e);
              return e;
            },
            session -> verified.complete(engine.get()),
            TLSClosing.eagerClose());
    Flow<TLSProtocol.SslTlsInbound, TLSProtocol.SslTlsOutbound, NotUsed> inside =
        Flow.<TLSProtocol.SslTlsInbound>create()
            .collectType(TLSProtocol.SessionBytes.class)
            .map(TLSProtocol.SessionBytes::bytes)
            .via(
                Flow.completionStageFlow(verified.thenApply(e -> inner(e, remote, http)))
                    .mapMaterializedValue(m -> NotUsed.getInstance()))
            .map(bytes -> (TLSProtocol.SslTlsOutbound) new TLSProtocol.SendBytes(bytes));
    return inside
        .join(tlsStage)
        .watchTermination(
            (m, done) -> {
              done.whenComplete(
                  (ok, failure) -> {
                    if (failure != null && !verified.isDone()) {
                      log.debug("TLS handshake with {} failed: {}", remote, failure.toString());
                    }
                    verified.cancel(false);
                  });
              return NotUsed.getInstance();
            });
  }

  /** What runs inside a verified session: chosen by ALPN, else detected from its first bytes. */
  private Flow<ByteString, ByteString, NotUsed> inner(
      SSLEngine engine, InetSocketAddress remote, HttpServers http) {
    // The server engine requires a verified client certificate with one identity SAN.
    String client =
        PeerIdentity.of(engine.getSession()).map(Object::toString).orElse("unknown");
    TlsLabels labels = TlsLabels.secured(client);
    String alpn = engine.getApplicationProtocol();
    Flow<ByteString, ByteString, NotUsed> served;
    if (Alpn.OPAQUE.equals(alpn) || opaque()) {
      served = forward.to(app, Direction.INBOUND, labels);
    } else if (Alpn.H2.equals(alpn)) {
      served = http.serve(Detected.HTTP2, remote, client);
    } else {
      served =
          Sniff.thenServe(
              Sniff.head(Detected::decisive, limits.maxPrefix(), limits.timeout()),
              head -> {
                Detected kind = Detected.of(head);
                return kind == Detected.HTTP1 || kind == Detected.HTTP2
                    ? http.serve(kind, remote, client)
                    : forward.to(app, Direction.INBOUND, labels);
              });
    }
    return forward
        .metrics()
        .meterPlain(new TcpMetrics.Labels(Direction.INBOUND, TcpMetrics.Peer.SRC, labels), served);
  }
}
