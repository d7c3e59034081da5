package io.trellis.proxy.tcp;

import io.trellis.config.HostPort;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TcpMetrics;
import io.trellis.proxy.metrics.TlsLabels;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * Opaque TCP: a connection's bytes forwarded as they are to an address, and the answer back,
 * metered as the proxy's {@code dst} connection. Half-closes pass through, so protocols that end
 * their requests with a shutdown of the write side still get their answer.
 */
public final class TcpForward {
  private final Tcp tcp;
  private final TcpMetrics metrics;
  private final Duration connectTimeout;

  public TcpForward(ActorSystem<?> system, TcpMetrics metrics, Duration connectTimeout) {
    this.tcp = Tcp.get(system);
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
  }

  /** A plaintext connection to {@code to}. */
  public Flow<ByteString, ByteString, NotUsed> to(
      HostPort to, Direction direction, TlsLabels tls) {
    return metrics.meterPlain(
        new TcpMetrics.Labels(direction, TcpMetrics.Peer.DST, tls), connect(to));
  }

  /** The unmetered connection (callers that wrap it, e.g. in TLS, meter it themselves). */
  public Flow<ByteString, ByteString, NotUsed> connect(HostPort to) {
    return tcp.outgoingConnection(
            new InetSocketAddress(to.host(), to.port()),
            Optional.empty(),
            List.of(),
            true,
            Optional.of(connectTimeout),
            Optional.empty())
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  public TcpMetrics metrics() {
    return metrics;
  }
}
