package io.trellis.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The second ceiling reference of bench/run ({@code nio-tcp-2hop}), not a product path: a TCP
 * splice on one java.nio selector thread (every accepted connection joined to its own outgoing
 * connection, bytes untouched, no HTTP, no actors). Compared with {@link TcpSplice} it separates
 * what the JVM costs per request and hop from what pekko's actor-based TCP layer adds.
 *
 * <p>Usage: {@code NioSplice BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT}
 */
public final class NioSplice {
  private static final int BUFFER = 16 * 1024;

  /** One direction of a spliced pair: reads {@code from}, writes {@code to}. */
  private static final class Pipe {
    final SocketChannel from;
    final SocketChannel to;
    final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
    SelectionKey fromKey;
    SelectionKey toKey;
    Pipe peer;

    Pipe(SocketChannel from, SocketChannel to) {
      this.from = from;
      this.to = to;
    }
  }

  /** The attachment of one channel's key: the pipe it reads for and the pipe it writes for. */
  private record Side(Pipe reads, Pipe writes) {}

  private NioSplice() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println("usage: NioSplice BIND_HOST BIND_PORT TARGET_HOST TARGET_PORT");
      System.exit(2);
    }
    InetSocketAddress target = new InetSocketAddress(args[2], Integer.parseInt(args[3]));
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 1024);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    while (true) {
      selector.select();
      for (SelectionKey key : selector.selectedKeys()) {
        try {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept(server, selector, target);
            continue;
          }
          Side side = (Side) key.attachment();
          if (key.isConnectable()) {
            ((SocketChannel) key.channel()).finishConnect();
            key.interestOps(SelectionKey.OP_READ);
            // the client's bytes are read only once there is somewhere to write them
            side.writes().fromKey.interestOps(SelectionKey.OP_READ);
            continue;
          }
          if (key.isWritable()) {
            flush(side.writes());
          }
          if (key.isValid() && key.isReadable()) {
            read(side.reads());
          }
        } catch (IOException | RuntimeException e) {
          Side side = (Side) key.attachment();
          if (side != null) {
            close(side.reads() != null ? side.reads() : side.writes());
          }
        }
      }
      selector.selectedKeys().clear();
    }
  }

  private static void accept(ServerSocketChannel server, Selector selector, InetSocketAddress to)
      throws IOException {
    SocketChannel client;
    while ((client = server.accept()) != null) {
      client.configureBlocking(false);
      client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      SocketChannel upstream = SocketChannel.open();
      upstream.configureBlocking(false);
      upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean connected = upstream.connect(to);
      Pipe up = new Pipe(client, upstream);
      Pipe down = new Pipe(upstream, client);
      up.peer = down;
      down.peer = up;
      SelectionKey ck =
          client.register(selector, connected ? SelectionKey.OP_READ : 0, new Side(up, down));
      SelectionKey uk =
          upstream.register(
              selector,
              connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT,
              new Side(down, up));
      up.fromKey = ck;
      up.toKey = uk;
      down.fromKey = uk;
      down.toKey = ck;
    }
  }

  /** Reads what the buffer takes and writes it on; stops reading while a write is pending. */
  private static void read(Pipe p) throws IOException {
    int n = p.from.read(p.buffer);
    if (n < 0) {
      close(p);
      return;
    }
    p.buffer.flip();
    p.to.write(p.buffer);
    if (p.buffer.hasRemaining()) {
      // backpressure: stop reading until the other side drains
      p.fromKey.interestOps(p.fromKey.interestOps() & ~SelectionKey.OP_READ);
      p.toKey.interestOps(p.toKey.interestOps() | SelectionKey.OP_WRITE);
    } else {
      p.buffer.clear();
    }
  }

  private static void flush(Pipe p) throws IOException {
    p.to.write(p.buffer);
    if (!p.buffer.hasRemaining()) {
      p.buffer.clear();
      p.toKey.interestOps(p.toKey.interestOps() & ~SelectionKey.OP_WRITE);
      p.fromKey.interestOps(p.fromKey.interestOps() | SelectionKey.OP_READ);
    }
  }

  private static void close(Pipe p) {
    try {
      p.from.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    try {
      p.to.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
