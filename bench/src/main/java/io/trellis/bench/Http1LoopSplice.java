package io.trellis.bench;

import com.typesafe.config.ConfigFactory;
import io.trellis.proxy.http1.HeadParser;
import io.trellis.proxy.http1.Http1Relay;
import io.trellis.proxy.transport.ChannelStage;
import io.trellis.proxy.transport.LoopTransport;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.ActorSystem;

/**
 * Codec cost reference of bench/run (not a product path): design C's loop transport
 * ({@link LoopTransport}, one loop) with every accepted connection relayed to its own upstream
 * connection through {@link Http1Relay}: HTTP/1.1 requests and responses decoded and re-encoded
 * in the connection's fused graph. Against {@code StageSplice loop-direct} (the same transport,
 * bytes only) it gives what the HTTP/1.1 codec costs per request and hop.
 *
 * <p>Usage: {@code Http1LoopSplice BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT}
 */
public final class Http1LoopSplice {
  private Http1LoopSplice() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 4) {
      System.err.println("usage: Http1LoopSplice BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT");
      System.exit(2);
    }
    InetSocketAddress bind = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
    InetSocketAddress target = new InetSocketAddress(args[2], Integer.parseInt(args[3]));
    ActorSystem system = ActorSystem.create("http1-loop-splice", ConfigFactory.load());
    try {
      LoopTransport transport =
          LoopTransport.start(system, 1, ChannelStage.Options.defaults()).toCompletableFuture().get();
      transport
          .bind(
              bind,
              1024,
              remote -> Http1Relay.flow(transport.connect(target), HeadParser.Limits.defaults()))
          .toCompletableFuture()
          .get();
    } catch (ExecutionException e) {
      System.err.println("cannot listen on " + bind + ": " + e.getCause());
      system.terminate();
      System.exit(2);
    }
  }
}
