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
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.stream.javadsl.Source;
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

  /** The socket options its connections use (read size, write mode). */
  public ChannelStage.Options options() {
    return options;
  }

  /** A bound listener; closing it stops accepting (open connections go on). */
  public interface Binding extends AutoCloseable {
    InetSocketAddress localAddress();

    @Override
    void close();
  }

  /**
   * How a listener tells a connection's protocol from its first bytes: they are read until {@code
   * decisive} says they are enough, {@code maxBytes} have arrived, {@code timeout} has passed
   * (then what arrived, possibly nothing, is the head) or the client ends its side.
   */
  public record Sniffing(Predicate<ByteString> decisive, int maxBytes, Duration timeout) {}

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
    return bind(bind, backlog, maxConnections, null, (remote, head) -> handler.apply(remote));
  }

  /**
   * Listens on {@code bind} as {@link #bind(InetSocketAddress, int, int, Function)} does, but a
   * connection's graph is made only once its head is read ({@code sniffing}, on the connection's
   * loop, before any stream exists): {@code byHead} chooses the flow for the client's address and
   * head, and that flow gets the head first, then the rest. The choice is made once, so the
   * graph is one fused graph: no sub-stream, whose every element and pull would cross between two
   * graphs as an actor message (pekko's {@code flatMapPrefix}). A client that ends its side
   * before sending anything is closed.
   */
  public CompletionStage<Binding> bind(
      InetSocketAddress bind,
      int backlog,
      int maxConnections,
      Sniffing sniffing,
      BiFunction<InetSocketAddress, ByteString, Flow<ByteString, ByteString, ?>> byHead) {
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
            Acceptor acceptor =
                new Acceptor(server, acceptLoop, maxConnections, sniffing, byHead);
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
    private final Sniffing sniffing;
    private final BiFunction<InetSocketAddress, ByteString, Flow<ByteString, ByteString, ?>> byHead;
    private final AtomicInteger open = new AtomicInteger();
    private SelectionKey key;
    /** Accepting stopped at the limit (only read and written on the accept loop). */
    private boolean paused;

    Acceptor(
        ServerSocketChannel server,
        EventLoop acceptLoop,
        int maxConnections,
        Sniffing sniffing,
        BiFunction<InetSocketAddress, ByteString, Flow<ByteString, ByteString, ?>> byHead) {
      this.server = server;
      this.acceptLoop = acceptLoop;
      this.maxConnections = maxConnections;
      this.sniffing = sniffing;
      this.byHead = byHead;
    }

    void run() {
      while (server.isOpen()) {
        if (open.get() >= maxConnections) {
          paused = true;
          return; // not armed again until a connection closes
        }
        SocketChannel client = null;
        boolean counted = false;
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
          counted = true;
          if (sniffing == null) {
            serve(client, loop, remote, null);
          } else if (loop.loop().inLoop()) {
            new HeadReader(client, loop, remote).start();
          } else {
            HeadReader reader = new HeadReader(client, loop, remote);
            loop.loop().execute(reader::start);
          }
        } catch (IOException | RuntimeException e) {
          log.warning("transport: dropping a connection: {}", e.toString());
          closeQuietly(client);
          if (counted) {
            closed();
          }
          if (client == null) {
            break; // accept itself failed (e.g. out of descriptors): try at the next readiness
          }
        }
      }
      if (server.isOpen()) {
        acceptLoop.arm(key, SelectionKey.OP_ACCEPT);
      }
    }

    /**
     * Materializes the connection's graph on its loop's dispatcher: the socket's stage joined to
     * the flow for it, which gets {@code head} (when sniffed) before the rest.
     */
    private void serve(SocketChannel client, Loop loop, InetSocketAddress remote, ByteString head) {
      Flow<ByteString, ByteString, ?> flow = byHead.apply(remote, head);
      if (head != null) {
        flow = Flow.<ByteString>create().prepend(Source.single(head)).via(flow);
      }
      Flow.fromGraph(new ChannelStage(client, loop.loop(), options))
          .join(
              flow.watchTermination(
                  (m, done) -> {
                    done.whenComplete((ok, failure) -> closed());
                    return m;
                  }))
          .withAttributes(ActorAttributes.dispatcher(loop.dispatcherId()))
          .run(mat);
    }

    /**
     * Reads an accepted connection's head on its loop (plain readiness, no stream), then makes
     * its graph. Bounded: reads stop once {@code maxBytes} arrived or the head is decisive.
     */
    private final class HeadReader implements EventLoop.Handler {
      private final SocketChannel client;
      private final Loop loop;
      private final InetSocketAddress remote;
      private ByteString held = ByteString.emptyByteString();
      private SelectionKey key;
      private Cancellable timer;
      private boolean decided;

      HeadReader(SocketChannel client, Loop loop, InetSocketAddress remote) {
        this.client = client;
        this.loop = loop;
        this.remote = remote;
      }

      void start() {
        try {
          key = loop.loop().register(client, SelectionKey.OP_READ, this);
          timer =
              mat.scheduleOnce(
                  scala.concurrent.duration.FiniteDuration.fromNanos(sniffing.timeout().toNanos()),
                  () -> {
                    try {
                      loop.loop().execute(this::timedOut);
                    } catch (RejectedExecutionException closing) {
                      // the loop is closed: so is the connection
                    }
                  });
        } catch (IOException | RuntimeException e) {
          drop(e);
        }
      }

      @Override
      public void ready(SelectionKey k, int readyOps) {
        if (decided) {
          return;
        }
        ByteBuffer buffer = ChannelStage.readBuffer(options.readBufferSize());
        int n;
        try {
          n = client.read(buffer);
          if (n > 0) {
            buffer.flip();
            held = held.concat(ByteString.fromByteBuffer(buffer)); // a copy
          }
        } catch (IOException | RuntimeException e) {
          drop(e);
          return;
        } finally {
          buffer.clear(); // the thread's buffer: free for the next read
        }
        if (n < 0) {
          if (held.isEmpty()) {
            drop(null); // closed before sending anything
          } else {
            decide(); // the flow gets the head, then the end of the stream
          }
        } else if (held.size() >= sniffing.maxBytes() || sniffing.decisive().test(held)) {
          decide();
        } else {
          loop.loop().arm(key, SelectionKey.OP_READ);
        }
      }

      private void timedOut() {
        if (!decided) {
          decide(); // what arrived, possibly nothing, is the head
        }
      }

      private void decide() {
        decided = true;
        timer.cancel();
        if (key.isValid()) {
          key.interestOps(0); // the socket's stage registers for what it wants
        }
        try {
          serve(client, loop, remote, held);
        } catch (RuntimeException e) {
          closeQuietly(client);
          closed();
          log.warning("transport: dropping a connection from {}: {}", remote, e.toString());
        }
      }

      private void drop(Exception cause) {
        decided = true;
        if (timer != null) {
          timer.cancel();
        }
        closeQuietly(client);
        closed();
        if (cause != null) {
          log.debug("transport: connection from {} failed before its head: {}", remote, cause);
        }
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
