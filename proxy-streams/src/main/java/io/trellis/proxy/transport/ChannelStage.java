package io.trellis.proxy.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * A non-blocking {@link SocketChannel} as a Pekko Streams flow: elements pushed in are written to
 * the socket, bytes read from it are pushed out. Readiness comes from an {@link EventLoop} through
 * an async callback; when the stage's actor runs on that loop (a dispatcher configured with
 * {@link EventLoopExecutorConfigurator}) the loop is found from the current thread and nothing
 * crosses threads.
 *
 * <p>Bounded: reads of at most {@link Options#readBufferSize()} bytes and at most one element
 * being written. The direct buffer a socket is read into belongs to the thread, not to the
 * connection: what a read got is copied into the element pushed before anything else runs, so one
 * buffer per loop thread serves all its connections. (One per connection cost 16 KiB of native
 * memory each, and a closed connection's buffer, promoted with its long-lived stage, was freed
 * only by a full collection: a proxy's native memory grew by megabytes with each wave of
 * connections.) Backpressure: the socket is read only while {@code out} is pulled, and {@code in}
 * is pulled only when the previous element is fully written. Half-close: completion of {@code in}
 * shuts the socket's output once the last element is written; end of stream from the peer
 * completes {@code out}; the channel closes when both directions are done. An I/O error fails the
 * stage (both directions) and closes the channel; a failure arriving on {@code in} or a failing
 * cancellation of {@code out} does the same.
 *
 * <p>The channel may still be connecting (a non-blocking {@code connect} that returned false): the
 * stage finishes the connection on readiness and fails with a {@link ConnectException} if it
 * cannot.
 */
public final class ChannelStage extends GraphStage<FlowShape<ByteString, ByteString>> {

  /**
   * @param readBufferSize bytes read per readiness at most (one element pushed per read turn)
   * @param writeFromPush write in {@code onPush} and wait for writability only if the socket did
   *     not take everything; false: always wait for writability first (one selector round trip
   *     per element, the naive design)
   * @param readUntilEmpty after a read, read again until the socket has nothing (one extra read
   *     returning 0 per readiness); false: one read per readiness
   */
  public record Options(int readBufferSize, boolean writeFromPush, boolean readUntilEmpty) {
    public Options {
      if (readBufferSize < 1) {
        throw new IllegalArgumentException("readBufferSize must be positive: " + readBufferSize);
      }
    }

    /** 16 KiB, write from push, one read per readiness. */
    public static Options defaults() {
      return new Options(16 * 1024, true, false);
    }
  }

  /** The read buffer of each thread that reads sockets (the loops), sized for the largest read. */
  private static final ThreadLocal<ByteBuffer> READ_BUFFERS = new ThreadLocal<>();

  /**
   * This thread's read buffer, cleared, with room for {@code size} bytes and no more. Whoever
   * reads into it copies what it got out before anything else can run on this thread.
   */
  public static ByteBuffer readBuffer(int size) {
    return threadBuffer(READ_BUFFERS, size);
  }

  /** This thread's buffer of {@code buffers}, grown to {@code size} if smaller, cleared, limited. */
  private static ByteBuffer threadBuffer(ThreadLocal<ByteBuffer> buffers, int size) {
    ByteBuffer buffer = buffers.get();
    if (buffer == null || buffer.capacity() < size) {
      buffer = ByteBuffer.allocateDirect(size);
      buffers.set(buffer);
    }
    return buffer.clear().limit(size);
  }

  /**
   * Elements up to this size are written from {@link #writeBuffer()}; larger ones from their own
   * buffer (a heap copy the JDK copies again into a temporary direct buffer).
   */
  public static final int WRITE_BUFFER_SIZE = 16 * 1024;

  /** The write buffer of each thread that writes sockets (the loops). */
  private static final ThreadLocal<ByteBuffer> WRITE_BUFFERS = new ThreadLocal<>();

  /**
   * This thread's write buffer, cleared. An element is copied into it once, from however many
   * parts it has, and written from there: no compacted copy of a many-part element, no read-only
   * wrapper per part, no copy by the JDK into a temporary direct buffer. Whoever writes from it
   * copies out what the socket did not take before anything else can run on this thread.
   */
  public static ByteBuffer writeBuffer() {
    return threadBuffer(WRITE_BUFFERS, WRITE_BUFFER_SIZE);
  }

  /**
   * Writes {@code bytes} to {@code channel} now, an element of up to {@link #WRITE_BUFFER_SIZE}
   * through this thread's {@link #writeBuffer()}, a larger one from its own buffer. Returns what
   * the socket did not take, in a buffer of its own to write when the socket is writable, or null
   * when it took everything. For the loops' threads (the stage, and the fused path's own
   * upstream sockets).
   */
  public static ByteBuffer write(SocketChannel channel, ByteString bytes) throws IOException {
    if (bytes.size() > WRITE_BUFFER_SIZE) {
      ByteBuffer own = bytes.asByteBuffer();
      channel.write(own);
      return own.hasRemaining() ? own : null;
    }
    ByteBuffer buffer = writeBuffer();
    try {
      bytes.copyToBuffer(buffer);
      buffer.flip();
      channel.write(buffer);
      return buffer.hasRemaining()
          ? ByteBuffer.allocate(buffer.remaining()).put(buffer).flip()
          : null;
    } finally {
      buffer.clear(); // the thread's buffer: free for the next write, whatever happened
    }
  }

  private final Inlet<ByteString> in = Inlet.create("ChannelStage.in");
  private final Outlet<ByteString> out = Outlet.create("ChannelStage.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final SocketChannel channel;
  private final EventLoop fallbackLoop;
  private final Options options;

  /**
   * @param channel non-blocking, connected or connecting; the stage owns it (closes it)
   * @param fallbackLoop the loop to register with when the stage does not run on a loop thread
   */
  public ChannelStage(SocketChannel channel, EventLoop fallbackLoop, Options options) {
    this.channel = channel;
    this.fallbackLoop = fallbackLoop;
    this.options = options;
  }

  /**
   * A peer's reset or a refused connection fails the stage, as it must (the other side learns
   * why), but is an ordinary event for a proxy: not logged as a stage error. For the stages that
   * fail with their connections.
   */
  public static final Attributes NOT_LOGGED =
      Attributes.createLogLevels(
          Attributes.logLevelOff(), Attributes.logLevelOff(), Attributes.logLevelOff());

  @Override
  public Attributes initialAttributes() {
    return NOT_LOGGED;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic {
    private EventLoop loop;
    private SelectionKey key;
    /** Ops to arm once the channel is registered (registration may be on another thread). */
    private int armBeforeRegistered;
    private boolean connected;
    /**
     * {@code OP_READ} is in the key's interest set. On its loop's thread the stage keeps it there
     * while it reads ({@link EventLoop.ReadKeepingHandler}: no interest change, so no epoll_ctl,
     * per read); a readiness that finds {@code out} not pulled takes it out, and the next pull
     * puts it back. That needs the readiness handled in the loop's turn that saw it, before the
     * next select: off the loop (the fallback loop, readiness crossing threads) the loop would
     * see the socket readable again and again until the stage's thread read it, so there reads
     * are one-shot, armed again by each pull.
     */
    private boolean readArmed;
    /** Reads stay armed between readinesses: the stage runs on its loop's thread. */
    private boolean keepRead;
    /** The element being written, null when none. */
    private ByteBuffer pendingWrite;
    private boolean inputDone;
    private boolean outputShut;
    private AsyncCallback<Integer> readiness;
    /** For error messages: a failed connect closes the channel, which then forgets its peer. */
    private String remote = "?";

    Logic() {
      super(shape);
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() throws IOException {
              ByteString bytes = grab(in);
              if (connected && options.writeFromPush() && bytes.size() <= WRITE_BUFFER_SIZE) {
                writeNow(bytes);
                return;
              }
              pendingWrite = bytes.asByteBuffer();
              if (!connected) {
                return; // written once connected
              }
              if (options.writeFromPush()) {
                flush();
              } else {
                arm(SelectionKey.OP_WRITE);
              }
            }

            @Override
            public void onUpstreamFinish() throws IOException {
              if (pendingWrite == null) {
                shutOutput();
              } // else: shut once the last element is written
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              failStage(ex);
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (connected && !readArmed) {
                readArmed = true;
                arm(SelectionKey.OP_READ);
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) throws IOException {
              if (!(cause instanceof SubscriptionWithCancelException.NonFailureCancellation)) {
                failStage(cause);
                return;
              }
              inputDone = true;
              if (connected && channel.isOpen()) {
                channel.shutdownInput();
              }
              if (outputShut) {
                completeStage();
              }
            }
          });
    }

    @Override
    public void preStart() {
      readiness = createAsyncCallback(this::onReady);
      AsyncCallback<SelectionKey> registered = createAsyncCallback(this::onRegistered);
      AsyncCallback<Throwable> failed = createAsyncCallback(this::failStage);
      EventLoop current = EventLoop.current();
      loop = current != null ? current : fallbackLoop;
      connected = channel.isConnected();
      try {
        remote = String.valueOf(channel.getRemoteAddress());
      } catch (IOException e) {
        failStage(e);
        return;
      }
      int initial = connected ? 0 : SelectionKey.OP_CONNECT;
      keepRead = current != null;
      EventLoop.Handler handler =
          keepRead
              ? (EventLoop.ReadKeepingHandler) (k, ready) -> readiness.invoke(ready)
              : (k, ready) -> readiness.invoke(ready);
      if (loop.inLoop()) {
        try {
          onRegistered(loop.register(channel, initial, handler));
        } catch (ClosedChannelException e) {
          failStage(e);
        }
      } else {
        loop.execute(
            () -> {
              try {
                registered.invoke(loop.register(channel, initial, handler));
              } catch (ClosedChannelException e) {
                failed.invoke(e);
              }
            });
      }
      pull(in);
    }

    private void onRegistered(SelectionKey k) {
      key = k;
      if (armBeforeRegistered != 0) {
        loop.arm(key, armBeforeRegistered);
        armBeforeRegistered = 0;
      }
    }

    private void arm(int ops) {
      if (key == null) {
        armBeforeRegistered |= ops;
      } else {
        loop.arm(key, ops);
      }
    }

    private void onReady(int ready) {
      try {
        if ((ready & SelectionKey.OP_CONNECT) != 0) {
          finishConnect();
        }
        if ((ready & SelectionKey.OP_WRITE) != 0 && pendingWrite != null) {
          flush();
        }
        if ((ready & SelectionKey.OP_READ) != 0 && readArmed) {
          if (!keepRead) {
            readArmed = false; // one-shot: the loop took OP_READ out
          }
          read();
        }
      } catch (IOException e) {
        failStage(e);
      }
    }

    private void finishConnect() throws IOException {
      try {
        channel.finishConnect();
      } catch (IOException e) {
        ConnectException ce = new ConnectException("cannot connect to " + remote + ": " + e);
        ce.initCause(e);
        throw ce;
      }
      connected = true;
      if (isAvailable(out) && !readArmed) {
        readArmed = true;
        arm(SelectionKey.OP_READ);
      }
      if (pendingWrite != null) {
        flush();
      } else if (isClosed(in) && !outputShut) {
        shutOutput();
      }
    }

    private void disarmRead() {
      if (!keepRead) {
        return; // one-shot: out of the interest set already
      }
      readArmed = false;
      if (key != null) {
        loop.disarm(key, SelectionKey.OP_READ);
      }
    }

    private void read() throws IOException {
      if (!isAvailable(out)) {
        disarmRead(); // not pulled (or cancelled, completed) meanwhile: armed again by onPull
        return;
      }
      ByteBuffer readBuffer = readBuffer(options.readBufferSize());
      int n;
      try {
        n = channel.read(readBuffer);
        if (options.readUntilEmpty()) {
          while (n > 0 && readBuffer.hasRemaining()) {
            n = channel.read(readBuffer);
          }
        }
      } catch (IOException | RuntimeException e) {
        readBuffer.clear();
        throw e;
      }
      boolean eof = n < 0;
      if (readBuffer.position() > 0) {
        readBuffer.flip();
        ByteString bytes = ByteString.fromByteBuffer(readBuffer); // a copy
        readBuffer.clear(); // free for the next read on this thread, whatever push runs
        push(out, bytes);
      } else if (!eof && !keepRead) {
        readArmed = true; // spurious readiness: wait again
        arm(SelectionKey.OP_READ);
      } // else (spurious, reads kept armed): still armed
      if (eof) {
        disarmRead(); // end of stream stays readable: it must not wake the loop again
        inputDone = true;
        complete(out);
        if (outputShut) {
          completeStage();
        }
      }
    }

    /**
     * Writes an element at once through this thread's write buffer; what the socket does not take
     * is kept (copied out of the shared buffer) until it is writable.
     */
    private void writeNow(ByteString bytes) throws IOException {
      pendingWrite = write(channel, bytes);
      if (pendingWrite != null) {
        arm(SelectionKey.OP_WRITE);
        return;
      }
      written();
    }

    private void flush() throws IOException {
      channel.write(pendingWrite);
      if (pendingWrite.hasRemaining()) {
        arm(SelectionKey.OP_WRITE);
        return;
      }
      pendingWrite = null;
      written();
    }

    /** The element in hand is written: the next one, or the end of output. */
    private void written() throws IOException {
      if (isClosed(in)) {
        shutOutput();
      } else {
        pull(in);
      }
    }

    private void shutOutput() throws IOException {
      if (!connected) {
        return; // shut once connected
      }
      outputShut = true;
      channel.shutdownOutput();
      if (inputDone) {
        completeStage();
      }
    }

    @Override
    public void postStop() {
      // On the loop: the selector releases a closed channel's descriptor at its next select, and
      // a loop blocked in select() would not get there until something else happened.
      if (loop.inLoop()) {
        closeChannel();
      } else {
        try {
          loop.execute(this::closeChannel);
        } catch (RejectedExecutionException e) {
          closeChannel(); // the loop is closed: nothing selects on the channel any more
        }
      }
    }

    private void closeChannel() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
