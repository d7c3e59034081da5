package io.trellis.bench;

import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * The ceiling reference of bench/run's {@code pekko-tcp-2hop} path, not a product path: a minimal
 * Pekko Streams TCP splice (every accepted connection joined to its own outgoing connection, bytes
 * untouched, no HTTP). Two of them in a row show what pekko's TCP layer alone costs per request and
 * hop, so the proxy's HTTP work can be budgeted against it.
 *
 * <p>Usage: {@code TcpSplice BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT}
 */
public final class TcpSplice {
  private TcpSplice() {}

  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: TcpSplice BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT");
      System.exit(2);
    }
    ActorSystem system = ActorSystem.create("tcp-splice");
    Materializer mat = Materializer.matFromSystem(system);
    Tcp tcp = Tcp.get(system);
    String targetHost = args[2];
    int targetPort = Integer.parseInt(args[3]);
    tcp.bind(args[0], Integer.parseInt(args[1]))
        .runForeach(
            c ->
                c.handleWith(
                    tcp.outgoingConnection(
                        new java.net.InetSocketAddress(targetHost, targetPort),
                        Optional.empty(),
                        List.of(),
                        true,
                        Optional.empty(),
                        Optional.empty()),
                    mat),
            mat);
  }
}
