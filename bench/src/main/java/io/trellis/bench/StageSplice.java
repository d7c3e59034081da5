package io.trellis.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.trellis.proxy.transport.ChannelStage;
import io.trellis.proxy.transport.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Transport spike references of bench/run (not product paths): the TCP splice of {@link
 * NioSplice}, but each accepted connection is a Pekko Streams graph of two {@link ChannelStage}s
 * (client socket joined to its own upstream socket), over our own selector loop instead of pekko's
 * actor-based TCP layer.
 *
 * <ul>
 *   <li>{@code separate} (stage-tcp-2hop): one selector thread of our own, the stream actors on
 *       the default dispatcher; readiness crosses to them through async callbacks. Naive I/O:
 *       every write waits for writability, reads repeat until the socket is empty.
 *   <li>{@code loop} (stage-loop-tcp-2hop): the same stages and I/O, but the graphs run on a
 *       dispatcher whose executor is the selector loop ({@link
 *       io.trellis.proxy.transport.EventLoopExecutorConfigurator}): no thread hand-off.
 *   <li>{@code loop-direct} (stage-loop-direct-tcp-2hop): as {@code loop}, with writes attempted
 *       in onPush and one read per readiness ({@link ChannelStage.Options#defaults()}).
 * </ul>
 *
 * <p>Usage: {@code StageSplice separate|loop|loop-direct BIND_HOST BIND_PORT TARGET_HOST
 * TARGET_PORT}
 */
public final class StageSplice {
  static final String LOOP_DISPATCHER = "trellis.bench.loop-dispatcher";
  private static final String LOOP_DISPATCHER_CONFIG =
      LOOP_DISPATCHER
          + " { type = Dispatcher\n"
          + "  executor = \"io.trellis.proxy.transport.EventLoopExecutorConfigurator\"\n"
          + "  throughput = 64 }";
  private static final ChannelStage.Options NAIVE =
      new ChannelStage.Options(16 * 1024, false, true);

  private StageSplice() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 5 || !args[0].matches("separate|loop|loop-direct")) {
      System.err.println(
          "usage: StageSplice separate|loop|loop-direct BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT");
      System.exit(2);
    }
    String mode = args[0].toLowerCase(Locale.ROOT);
    InetSocketAddress bind = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
    InetSocketAddress target = new InetSocketAddress(args[3], Integer.parseInt(args[4]));
    ActorSystem system = ActorSystem.create("stage-splice", config());
    Materializer mat = Materializer.matFromSystem(system);
    CompletableFuture<Void> bound;
    if (mode.equals("separate")) {
      EventLoop loop = new EventLoop("splice-selector");
      bound = listen(loop, bind, target, NAIVE, Attributes.none(), mat);
    } else {
      ChannelStage.Options options = mode.equals("loop") ? NAIVE : ChannelStage.Options.defaults();
      bound = onLoopDispatcher(system, bind, target, options, mat);
    }
    try {
      bound.get();
    } catch (ExecutionException e) {
      System.err.println("cannot listen on " + bind + ": " + e.getCause());
      system.terminate();
      System.exit(2);
    }
  }

  static Config config() {
    return ConfigFactory.parseString(LOOP_DISPATCHER_CONFIG).withFallback(ConfigFactory.load());
  }

  /** Listens on the loop dispatcher's own loop; every connection's graph runs on that loop. */
  static CompletableFuture<Void> onLoopDispatcher(
      ActorSystem system,
      InetSocketAddress bind,
      InetSocketAddress target,
      ChannelStage.Options options,
      Materializer mat) {
    CompletableFuture<Void> bound = new CompletableFuture<>();
    system
        .dispatchers()
        .lookup(LOOP_DISPATCHER)
        .execute(
            () ->
                listen(
                        EventLoop.current(),
                        bind,
                        target,
                        options,
                        ActorAttributes.dispatcher(LOOP_DISPATCHER),
                        mat)
                    .whenComplete(
                        (ok, e) -> {
                          if (e != null) {
                            bound.completeExceptionally(e);
                          } else {
                            bound.complete(null);
                          }
                        }));
    return bound;
  }

  /** Accepts on {@code loop}; each connection becomes its own graph, spliced to {@code target}. */
  static CompletableFuture<Void> listen(
      EventLoop loop,
      InetSocketAddress bind,
      InetSocketAddress target,
      ChannelStage.Options options,
      Attributes attributes,
      Materializer mat) {
    CompletableFuture<Void> bound = new CompletableFuture<>();
    Runnable open =
        () -> {
          try {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(bind, 1024);
            server.configureBlocking(false);
            loop.register(
                server,
                SelectionKey.OP_ACCEPT,
                (key, ready) -> {
                  accept(server, loop, target, options, attributes, mat);
                  loop.arm(key, SelectionKey.OP_ACCEPT);
                });
            bound.complete(null);
          } catch (IOException e) {
            bound.completeExceptionally(e);
          }
        };
    if (loop.inLoop()) {
      open.run();
    } else {
      loop.execute(open);
    }
    return bound;
  }

  private static void accept(
      ServerSocketChannel server,
      EventLoop loop,
      InetSocketAddress target,
      ChannelStage.Options options,
      Attributes attributes,
      Materializer mat) {
    while (true) {
      SocketChannel client = null;
      SocketChannel upstream = null;
      try {
        client = server.accept();
        if (client == null) {
          return;
        }
        client.configureBlocking(false);
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        upstream = SocketChannel.open();
        upstream.configureBlocking(false);
        upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
        upstream.connect(target);
        Flow.fromGraph(new ChannelStage(client, loop, options))
            .join(Flow.fromGraph(new ChannelStage(upstream, loop, options)))
            .withAttributes(attributes)
            .run(mat);
      } catch (IOException | RuntimeException e) {
        System.err.println("splice: dropping a connection: " + e);
        closeQuietly(client);
        closeQuietly(upstream);
        if (client == null) {
          return; // accept itself failed (e.g. out of descriptors): try at the next readiness
        }
      }
    }
  }

  private static void closeQuietly(SocketChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
