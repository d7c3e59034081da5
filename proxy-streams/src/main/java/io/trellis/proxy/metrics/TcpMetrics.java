package io.trellis.proxy.metrics;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ClientTransport;
import org.apache.pekko.http.javadsl.OutgoingConnection;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import io.trellis.proxy.http.Direction;
import java.util.concurrent.ConcurrentHashMap;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.metric.Metric;
import kamon.tag.TagSet;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Linkerd's TCP metrics, recorded with Kamon: {@code tcp_open_total}, {@code
 * tcp_open_connections}, {@code tcp_read_bytes_total}, {@code tcp_write_bytes_total}, {@code
 * tcp_close_total} and {@code tcp_connection_duration_ms}, labelled with direction, peer ({@code
 * src}: the connection the proxy accepted, {@code dst}: the one it opened) and tls (see {@link
 * TlsLabels}). Read and written are from the proxy's point of view on that connection.
 */
public final class TcpMetrics {
  static final String OPEN_TOTAL = "tcp_open_total";
  static final String OPEN_CONNECTIONS = "tcp_open_connections";
  static final String READ_BYTES = "tcp_read_bytes_total";
  static final String WRITE_BYTES = "tcp_write_bytes_total";
  static final String CLOSE_TOTAL = "tcp_close_total";
  static final String DURATION = "tcp_connection_duration_ms";

  private final Metric.Counter openTotal = Kamon.counter(OPEN_TOTAL);
  private final Metric.Gauge openConnections = Kamon.gauge(OPEN_CONNECTIONS);
  private final Metric.Counter readBytes = Kamon.counter(READ_BYTES);
  private final Metric.Counter writeBytes = Kamon.counter(WRITE_BYTES);
  private final Metric.Counter closeTotal = Kamon.counter(CLOSE_TOTAL);
  // No unit: Kamon's Prometheus reporter would rescale time units to seconds and rename.
  private final Metric.Histogram duration = Kamon.histogram(DURATION, MeasurementUnit.none());
  private final ConcurrentHashMap<Labels, Instruments> instruments = new ConcurrentHashMap<>();

  /** Which side of the proxy a connection is on. */
  public enum Peer {
    /** The connection the proxy accepted. */
    SRC,
    /** The connection the proxy opened. */
    DST;

    String label() {
      return this == SRC ? "src" : "dst";
    }
  }

  /** One connection's labels. */
  public record Labels(Direction direction, Peer peer, TlsLabels tls) {}

  /** The instruments of one label set, registered once. */
  private final class Instruments {
    final Counter open;
    final Gauge connections;
    final Counter read;
    final Counter write;
    final Histogram lifetime;
    final TagSet tags;

    Instruments(Labels labels) {
      TagSet.Builder b =
          TagSet.builder()
              .add("direction", labels.direction().label())
              .add("peer", labels.peer().label());
      labels.tls().addTo(b, labels.direction());
      tags = b.build();
      open = openTotal.withTags(tags);
      connections = openConnections.withTags(tags);
      read = readBytes.withTags(tags);
      write = writeBytes.withTags(tags);
      lifetime = duration.withTags(tags);
    }
  }

  private Instruments of(Labels labels) {
    Instruments i = instruments.get(labels);
    return i != null ? i : instruments.computeIfAbsent(labels, Instruments::new);
  }

  /**
   * Meters one connection: {@code connection}'s input is what the proxy writes to the peer when
   * {@code peer} is {@link Peer#DST} (a connection the proxy opened), what it read from the peer
   * when {@link Peer#SRC} (the flow serving an accepted connection); its output the other way.
   * Counted open when materialized, closed when the flow ends either way.
   */
  public <M> Flow<ByteString, ByteString, M> meter(
      Labels labels, Flow<ByteString, ByteString, M> connection) {
    Instruments i = of(labels);
    Counter in = labels.peer() == Peer.SRC ? i.read : i.write;
    Counter out = labels.peer() == Peer.SRC ? i.write : i.read;
    return Flow.<ByteString>create()
        .map(
            bytes -> {
              in.increment(bytes.size());
              return bytes;
            })
        .viaMat(connection, (a, m) -> m)
        .map(
            bytes -> {
              out.increment(bytes.size());
              return bytes;
            })
        .watchTermination(
            (m, done) -> {
              long start = System.nanoTime();
              i.open.increment();
              i.connections.increment();
              done.whenComplete(
                  (ok, failure) -> {
                    i.connections.decrement();
                    closeTotal
                        .withTags(
                            i.tags.withTag("errno", failure == null ? "" : errno(failure)))
                        .increment();
                    i.lifetime.record((System.nanoTime() - start) / 1_000_000);
                  });
              return m;
            });
  }

  /** A short reason for a connection that ended in failure (Linkerd puts the errno here). */
  private static String errno(Throwable failure) {
    String name = failure.getClass().getSimpleName();
    return name.isEmpty() ? "error" : name;
  }

  /**
   * A pekko-http client transport whose connections are metered with {@code labels} (peer {@code
   * dst}): the proxy's HTTP connections to meshed endpoints, over mTLS ({@code server_id}).
   */
  public ClientTransport meter(Labels labels, ClientTransport transport) {
    return new ClientTransport() {
      @Override
      public Flow<ByteString, ByteString, CompletionStage<OutgoingConnection>> connectTo(
          String host, int port, ClientConnectionSettings settings, ActorSystem system) {
        return meter(labels, transport.connectTo(host, port, settings, system));
      }
    };
  }

  /** {@link #meter} for flows without a materialized value of interest. */
  public Flow<ByteString, ByteString, NotUsed> meterPlain(
      Labels labels, Flow<ByteString, ByteString, ?> connection) {
    return meter(labels, connection).mapMaterializedValue(m -> NotUsed.getInstance());
  }
}
