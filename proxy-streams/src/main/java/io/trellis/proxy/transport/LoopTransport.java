package io.trellis.proxy.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.DispatcherConfigurator;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * The event-loop transport ({@code trellis.proxy.transport.kind = loop}): {@code loops} {@link
 * EventLoop}s, each the executor of its own pekko dispatcher, so that a connection's whole graph
 * (its {@link ChannelStage}s and whatever is fused between them) runs on the thread that selects
 * on its sockets.
 *
 * <p>{@link #bind} accepts on the first loop and hands each accepted connection to the next loop
 * round-robin: the connection's graph is materialized on that loop's dispatcher. {@link #connect}
 * is the client side: a flow that opens a non-blocking connection when materialized, on the loop
 * of the graph it is part of.
 */
public final class LoopTransport {
  /** The dispatcher template in reference.conf; loop {@code i} is dispatcher {@code ID-i}. */
  public static final String DISPATCHER = "trellis.proxy.transport.loop-dispatcher";

  /** One loop and the dispatcher whose executor it is. */
  public record Loop(EventLoop loop, String dispatcherId) {}

  private final List<Loop> loops;
  private final ChannelStage.Options options;
  private final Materializer mat;
  private final LoggingAdapter log;
  private final AtomicInteger next = new AtomicInteger();

  private LoopTransport(
      List<Loop> loops, ChannelStage.Options options, ActorSystem system, Materializer mat) {
    this.loops = List.copyOf(loops);
    this.options = options;
    this.mat = mat;
    this.log = Logging.getLogger(system, LoopTransport.class);
  }

  /**
   * Starts {@code count} loops: registers dispatcher {@code DISPATCHER-i} for each (its executor
   * is its loop) and learns each loop by running a task on it.
   */
  public static CompletionStage<LoopTransport> start(
      ActorSystem system, int count, ChannelStage.Options options) {
    if (count < 1) {
      throw new IllegalArgumentException("trellis.proxy.transport.loops must be >= 1, was " + count);
    }
    Config root = system.settings().config();
    Config template =
        root.getConfig(DISPATCHER).withFallback(root.getConfig("pekko.actor.default-dispatcher"));
    List<CompletableFuture<Loop>> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = DISPATCHER + "-" + i;
      if (!system.dispatchers().hasDispatcher(id)) {
        Config config = ConfigFactory.parseString("id = \"" + id + "\"").withFallback(template);
        system
            .dispatchers()
            .registerConfigurator(
                id, new DispatcherConfigurator(config, system.dispatchers().prerequisites()));
      }
      CompletableFuture<Loop> loop = new CompletableFuture<>();
      system.dispatchers().lookup(id).execute(() -> loop.complete(new Loop(EventLoop.current(), id)));
      started.add(loop);
    }
    Materializer mat = Materializer.matFromSystem(system);
    return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
        .thenApply(
            ok ->
                new LoopTransport(
                    started.stream().map(CompletableFuture::join).toList(), options, system, mat));
  }

  public List<Loop> loops() {
    return loops;
  }

  /** A bound listener; closing it stops accepting (open connections go on). */
  public interface Binding extends AutoCloseable {
    InetSocketAddress localAddress();

    @Override
    void close();
  }

  /** As {@link #bind(InetSocketAddress, int, int, Function)} without a connection limit. */
  public CompletionStage<Binding> bind(
      InetSocketAddress bind,
      int backlog,
      Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> handler) {
    return bind(bind, backlog, Integer.MAX_VALUE, handler);
  }

  /**
   * Listens on {@code bind}; each accepted connection's bytes go through the flow {@code handler}
   * makes for it (called with the client's address), materialized on the connection's loop. At
   * most {@code maxConnections} are open at once: at the limit the listener stops accepting (more
   * wait in the backlog) until one closes.
   */
  public CompletionStage<Binding> bind(
      InetSocketAddress bind,
      int backlog,
      int maxConnections,
      Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> handler) {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be >= 1, was " + maxConnections);
    }
    EventLoop acceptLoop = loops.get(0).loop();
    CompletableFuture<Binding> bound = new CompletableFuture<>();
    acceptLoop.execute(
        () -> {
          try {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(bind, backlog);
            server.configureBlocking(false);
            Acceptor acceptor = new Acceptor(server, acceptLoop, maxConnections, handler);
            acceptor.key =
                acceptLoop.register(server, SelectionKey.OP_ACCEPT, (key, ready) -> acceptor.run());
            InetSocketAddress local = (InetSocketAddress) server.getLocalAddress();
            bound.complete(
                new Binding() {
                  @Override
                  public InetSocketAddress localAddress() {
                    return local;
                  }

                  @Override
                  public void close() {
                    acceptLoop.execute(() -> closeQuietly(server));
                  }
                });
          } catch (IOException | RuntimeException e) {
            bound.completeExceptionally(e);
          }
        });
    return bound;
  }

  /** Accepts on its loop; counts open connections and pauses at the limit. */
  private final class Acceptor {
    private final ServerSocketChannel server;
    private final EventLoop acceptLoop;
    private final int maxConnections;
    private final Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> handler;
    private final AtomicInteger open = new AtomicInteger();
    private SelectionKey key;
    /** Accepting stopped at the limit (only read and written on the accept loop). */
    private boolean paused;

    Acceptor(
        ServerSocketChannel server,
        EventLoop acceptLoop,
        int maxConnections,
        Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> handler) {
      this.server = server;
      this.acceptLoop = acceptLoop;
      this.maxConnections = maxConnections;
      this.handler = handler;
    }

    void run() {
      while (server.isOpen()) {
        if (open.get() >= maxConnections) {
          paused = true;
          return; // not armed again until a connection closes
        }
        SocketChannel client = null;
        try {
          client = server.accept();
          if (client == null) {
            break;
          }
          client.configureBlocking(false);
          client.setOption(StandardSocketOptions.TCP_NODELAY, true);
          Loop loop = loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
          InetSocketAddress remote = (InetSocketAddress) client.getRemoteAddress();
          open.incrementAndGet();
          Flow.fromGraph(new ChannelStage(client, loop.loop(), options))
              .join(
                  handler
                      .apply(remote)
                      .watchTermination(
                          (m, done) -> {
                            done.whenComplete((ok, failure) -> closed());
                            return m;
                          }))
              .withAttributes(ActorAttributes.dispatcher(loop.dispatcherId()))
              .run(mat);
        } catch (IOException | RuntimeException e) {
          log.warning("transport: dropping a connection: {}", e.toString());
          closeQuietly(client);
          if (client == null) {
            break; // accept itself failed (e.g. out of descriptors): try at the next readiness
          }
        }
      }
      if (server.isOpen()) {
        acceptLoop.arm(key, SelectionKey.OP_ACCEPT);
      }
    }

    private void closed() {
      if (open.decrementAndGet() == maxConnections - 1) {
        acceptLoop.execute(
            () -> {
              if (paused) {
                paused = false;
                run();
              }
            });
      }
    }
  }

  /**
   * A client connection to {@code target}, opened when the flow is materialized; the stage runs
   * (and registers with) the loop of the graph it is fused into, else the first loop.
   */
  public Flow<ByteString, ByteString, NotUsed> connect(InetSocketAddress target) {
    EventLoop fallback = loops.get(0).loop();
    return Flow.fromMaterializer(
            (unusedMat, unusedAttributes) -> {
              SocketChannel channel;
              try {
                channel = SocketChannel.open();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot open a socket to " + target, e);
              }
              try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.connect(target);
              } catch (IOException e) {
                closeQuietly(channel);
                throw new java.io.UncheckedIOException("cannot connect to " + target, e);
              }
              return Flow.fromGraph(new ChannelStage(channel, fallback, options));
            })
        .mapMaterializedValue(f -> NotUsed.getInstance());
  }

  /**
   * A client connection to {@code target}, opened now (a non-blocking connect): the returned
   * flow owns the socket and must be materialized exactly once, on a loop thread (the fused
   * path's upstream connections). Unlike {@link #connect} there is no setup stage between the
   * socket's stage and the graph around it, so every element crosses one stage less.
   */
  public Flow<ByteString, ByteString, NotUsed> open(InetSocketAddress target) {
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.connect(target);
    } catch (IOException e) {
      closeQuietly(channel);
      java.io.IOException failure = new java.net.ConnectException("cannot connect to " + target + ": " + e);
      failure.initCause(e);
      return Flow.fromSinkAndSource(
          org.apache.pekko.stream.javadsl.Sink.cancelled(),
          org.apache.pekko.stream.javadsl.Source.failed(failure));
    }
    EventLoop current = EventLoop.current();
    return Flow.fromGraph(
        new ChannelStage(channel, current != null ? current : loops.get(0).loop(), options));
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
