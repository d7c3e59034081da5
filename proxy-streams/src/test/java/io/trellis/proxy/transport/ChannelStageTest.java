package io.trellis.proxy.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ChannelStage} through a real loopback echo server: bytes intact and in order, bounded
 * in-flight data with a slow consumer (backpressure), half-close (completing the input ends the
 * echo, which completes the output), and a failed connection failing the stream. Each case runs
 * with the stage's actor on the default dispatcher (readiness from a separate loop) and on a
 * dispatcher whose executor is the loop.
 */
class ChannelStageTest {
  private static final String LOOP_DISPATCHER = "test-loop-dispatcher";
  private static final int TOTAL = 4 * 1024 * 1024;
  private static final int CHUNK = 4 * 1024;
  /** Socket buffers of both ends: small, so that in-flight bytes are bounded by design. */
  private static final int SOCKET_BUFFER = 16 * 1024;

  private static ActorSystem system;
  private static Materializer mat;
  private static EventLoop loop;

  @BeforeAll
  static void start() {
    system =
        ActorSystem.create(
            "channel-stage-test",
            ConfigFactory.parseString(
                    LOOP_DISPATCHER
                        + " { type = Dispatcher\n executor = \""
                        + EventLoopExecutorConfigurator.class.getName()
                        + "\" }")
                .withFallback(ConfigFactory.load()));
    mat = Materializer.matFromSystem(system);
    loop = new EventLoop("channel-stage-test-loop");
  }

  @AfterAll
  static void stop() {
    loop.close();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private static Attributes attributes(boolean onLoop) {
    return onLoop ? ActorAttributes.dispatcher(LOOP_DISPATCHER) : Attributes.none();
  }

  @ParameterizedTest(name = "on loop dispatcher: {0}")
  @ValueSource(booleans = {false, true})
  void echoesEveryByteWithASlowConsumerAndBoundedInFlight(boolean onLoop) throws Exception {
    byte[] data = new byte[TOTAL];
    new Random(42).nextBytes(data);
    List<ByteString> chunks = new ArrayList<>();
    for (int i = 0; i < TOTAL; i += CHUNK) {
      chunks.add(ByteString.fromArray(data, i, CHUNK));
    }
    try (ServerSocket server = echoServer()) {
      SocketChannel channel = connecting(server.getLocalSocketAddress());
      AtomicLong emitted = new AtomicLong();
      SinkQueueWithCancel<ByteString> queue =
          Source.from(chunks)
              .map(
                  c -> {
                    emitted.addAndGet(c.size());
                    return c;
                  })
              .via(stage(channel))
              .toMat(Sink.queue(), Keep.right())
              .withAttributes(attributes(onLoop))
              .run(mat);
      ByteArrayOutputStream received = new ByteArrayOutputStream(TOTAL);
      long maxInFlight = 0;
      int pulls = 0;
      while (true) {
        Optional<ByteString> next = queue.pull().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (next.isEmpty()) {
          break; // the echo server saw our end of input and closed: the half-close worked
        }
        received.write(next.get().toArray());
        maxInFlight = Math.max(maxInFlight, emitted.get() - received.size());
        if (++pulls % 16 == 0) {
          Thread.sleep(2); // a slow consumer, so that the socket fills and backpressure acts
        }
      }
      assertArrayEquals(data, received.toByteArray(), "echoed bytes differ");
      // stage: one element and one read buffer; sockets: four small kernel buffers (each
      // possibly doubled by the kernel); echo server: 8 KiB; Sink.queue: 16 elements
      assertTrue(
          maxInFlight < 1024 * 1024,
          "in-flight bytes not bounded by backpressure: " + maxInFlight + " of " + TOTAL);
    }
  }

  /**
   * Connections read on one thread share its read buffer: eight echo streams at once, each with
   * its own bytes, must each get back exactly theirs.
   */
  @ParameterizedTest(name = "on loop dispatcher: {0}")
  @ValueSource(booleans = {false, true})
  void connectionsSharingAThreadsReadBufferEachGetTheirOwnBytes(boolean onLoop) throws Exception {
    int connections = 8;
    int size = 256 * 1024;
    try (ServerSocket server = echoServer(connections)) {
      List<byte[]> sent = new ArrayList<>();
      List<java.util.concurrent.CompletableFuture<ByteString>> echoed = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        byte[] data = new byte[size];
        new Random(c).nextBytes(data);
        sent.add(data);
        List<ByteString> chunks = new ArrayList<>();
        for (int i = 0; i < size; i += CHUNK) {
          chunks.add(ByteString.fromArray(data, i, CHUNK));
        }
        echoed.add(
            Source.from(chunks)
                .via(stage(connecting(server.getLocalSocketAddress())))
                .toMat(
                    Sink.<ByteString, ByteString>fold(
                        ByteString.emptyByteString(), ByteString::concat),
                    Keep.right())
                .withAttributes(attributes(onLoop))
                .run(mat)
                .toCompletableFuture());
      }
      for (int c = 0; c < connections; c++) {
        assertArrayEquals(
            sent.get(c),
            echoed.get(c).get(30, TimeUnit.SECONDS).toArray(),
            "connection " + c + " got other bytes");
      }
    }
  }

  /**
   * Elements of several parts (a head and a body, as the HTTP/1.1 encoder makes them), of sizes
   * on both sides of the thread's write buffer, with a slow consumer so that the socket fills and
   * writes are partial: every byte comes back, in order.
   */
  @ParameterizedTest(name = "on loop dispatcher: {0}")
  @ValueSource(booleans = {false, true})
  void writesManyPartElementsOfEverySizeWhole(boolean onLoop) throws Exception {
    Random random = new Random(7);
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    List<ByteString> elements = new ArrayList<>();
    int[] sizes = {1, 100, 4096, ChannelStage.WRITE_BUFFER_SIZE - 1, ChannelStage.WRITE_BUFFER_SIZE,
        ChannelStage.WRITE_BUFFER_SIZE + 1, 3 * ChannelStage.WRITE_BUFFER_SIZE};
    for (int i = 0; i < 200; i++) {
      int size = sizes[i % sizes.length];
      byte[] data = new byte[size];
      random.nextBytes(data);
      sent.write(data);
      int a = size / 3;
      int b = 2 * size / 3;
      elements.add(
          ByteString.fromArray(data, 0, a)
              .concat(ByteString.fromArray(data, a, b - a))
              .concat(ByteString.fromArray(data, b, size - b)));
    }
    try (ServerSocket server = echoServer()) {
      SinkQueueWithCancel<ByteString> queue =
          Source.from(elements)
              .via(stage(connecting(server.getLocalSocketAddress())))
              .toMat(Sink.queue(), Keep.right())
              .withAttributes(attributes(onLoop))
              .run(mat);
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      int pulls = 0;
      while (true) {
        Optional<ByteString> next = queue.pull().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (next.isEmpty()) {
          break;
        }
        received.write(next.get().toArray());
        if (++pulls % 8 == 0) {
          Thread.sleep(2); // the socket fills: some writes are partial
        }
      }
      assertArrayEquals(sent.toByteArray(), received.toByteArray(), "echoed bytes differ");
    }
  }

  @org.junit.jupiter.api.Test
  void aThreadKeepsOneReadBufferGrownToTheLargestReadAndHandsItOutEmpty() throws Exception {
    java.nio.ByteBuffer small = ChannelStage.readBuffer(1024);
    assertTrue(small.isDirect());
    org.junit.jupiter.api.Assertions.assertEquals(1024, small.remaining());
    small.put((byte) 1);
    java.nio.ByteBuffer large = ChannelStage.readBuffer(64 * 1024);
    org.junit.jupiter.api.Assertions.assertEquals(64 * 1024, large.remaining());
    java.nio.ByteBuffer again = ChannelStage.readBuffer(1024);
    org.junit.jupiter.api.Assertions.assertSame(large, again);
    org.junit.jupiter.api.Assertions.assertEquals(0, again.position());
    org.junit.jupiter.api.Assertions.assertEquals(1024, again.limit());
    java.nio.ByteBuffer[] other = new java.nio.ByteBuffer[1];
    Thread t = new Thread(() -> other[0] = ChannelStage.readBuffer(1024));
    t.start();
    t.join();
    org.junit.jupiter.api.Assertions.assertNotSame(again, other[0]);
  }

  @ParameterizedTest(name = "on loop dispatcher: {0}")
  @ValueSource(booleans = {false, true})
  void failsTheStreamWhenTheConnectionIsRefused(boolean onLoop) throws Exception {
    InetSocketAddress closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = (InetSocketAddress) s.getLocalSocketAddress();
    }
    SocketChannel channel = connecting(closed);
    var done =
        Source.<ByteString>maybe()
            .via(stage(channel))
            .toMat(Sink.ignore(), Keep.right())
            .withAttributes(attributes(onLoop))
            .run(mat)
            .toCompletableFuture();
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> done.get(30, TimeUnit.SECONDS));
    assertInstanceOf(ConnectException.class, e.getCause());
    assertTrue(isClosedEventually(channel), "channel left open after the failure");
  }

  /**
   * Reads stay armed while the stage reads ({@code OP_READ} is level-triggered for it, so the
   * selector changes nothing per read), and a readiness the stage cannot take (its output not
   * pulled: here bytes and end of stream arrive while the consumer holds one element) takes
   * {@code OP_READ} out: the loop's later turns do not deliver it again and again. Then pulling
   * reads the rest, end of stream included.
   */
  @org.junit.jupiter.api.Test
  void readinessTheStageCannotTakeIsDeliveredOnceNotOnEveryTurn() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      SocketChannel channel = connecting(server.getLocalSocketAddress());
      SinkQueueWithCancel<ByteString> queue =
          Source.<ByteString>maybe()
              .via(stage(channel))
              .toMat(Sink.queue(), Keep.right())
              // on the loop's dispatcher, as the proxy runs it; the consumer holds one element
              .withAttributes(attributes(true).and(Attributes.inputBuffer(1, 1)))
              .run(mat);
      stageLoop =
          java.util.concurrent.CompletableFuture.supplyAsync(
                  EventLoop::current, system.dispatchers().lookup(LOOP_DISPATCHER))
              .get(30, TimeUnit.SECONDS);
      try (Socket peer = server.accept()) {
        OutputStream o = peer.getOutputStream();
        o.write('a');
        o.flush();
        Optional<ByteString> first = queue.pull().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertArrayEquals("a".getBytes(), first.orElseThrow().toArray());
        // The consumer took "a" and pulls again: "b" is read and held by it (its buffer is one
        // element), and nothing pulls the stage's output after that.
        long afterA = awaitDispatchesSettled();
        o.write('b');
        o.flush();
        long afterB = awaitDispatchesSettled();
        assertTrue(afterB > afterA, "no readiness delivered for b");
        peer.shutdownOutput(); // end of stream: readable, and not read while not pulled
        long before = awaitDispatchesSettled();
        for (int i = 0; i < 50; i++) {
          loopTurn(); // each wakes the selector: a readable key still armed would fire each time
        }
        long after = stageLoop.dispatched();
        assertTrue(after - before <= 1,
            "readiness delivered " + (after - before) + " times in 50 selects while not pulled");
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
          Optional<ByteString> next = queue.pull().toCompletableFuture().get(30, TimeUnit.SECONDS);
          if (next.isEmpty()) {
            break; // end of stream reached the consumer
          }
          got.write(next.get().toArray());
        }
        assertArrayEquals("b".getBytes(), got.toByteArray());
      }
    }
  }

  /** The loop of the loop dispatcher (the stage's in the test above). */
  private static EventLoop stageLoop;

  /**
   * At least one more select of the stage's loop, waited for (tasks submitted while the loop runs
   * its tasks may run in the same turn: each is submitted again until a select happened).
   */
  private static void loopTurn() throws Exception {
    long from = stageLoop.turns();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (stageLoop.turns() < from + 2) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the stage's loop did not turn");
      }
      java.util.concurrent.CompletableFuture<Void> turned =
          new java.util.concurrent.CompletableFuture<>();
      stageLoop.execute(() -> turned.complete(null));
      turned.get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Turns the loop until a few turns in a row deliver no readiness (the stage's answers to what
   * it got, which run on another thread here, included); returns the count then.
   */
  private static long awaitDispatchesSettled() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long last = -1;
    int quiet = 0;
    while (quiet < 20) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("readiness kept being delivered for 30 s: " + last);
      }
      loopTurn();
      long now = stageLoop.dispatched();
      quiet = now == last ? quiet + 1 : 0;
      last = now;
    }
    return last;
  }

  private static boolean isClosedEventually(SocketChannel channel) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (channel.isOpen() && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return !channel.isOpen();
  }

  /** The stage under test over {@code channel}, with the default options, on the test loop. */
  private static Flow<ByteString, ByteString, NotUsed> stage(SocketChannel channel) {
    return Flow.fromGraph(new ChannelStage(channel, loop, ChannelStage.Options.defaults()));
  }

  private static SocketChannel connecting(java.net.SocketAddress to) throws IOException {
    SocketChannel channel = SocketChannel.open();
    channel.configureBlocking(false);
    channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
    channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
    channel.connect(to);
    return channel;
  }

  /** Accepts one connection and echoes it until end of input, then closes it. */
  private static ServerSocket echoServer() throws IOException {
    return echoServer(1);
  }

  /** Echoes each of the first {@code connections} connections on a thread of its own. */
  private static ServerSocket echoServer(int connections) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReceiveBufferSize(SOCKET_BUFFER);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), connections);
    Thread acceptor =
        new Thread(
            () -> {
              for (int i = 0; i < connections; i++) {
                try {
                  Socket s = server.accept();
                  Thread t = new Thread(() -> echo(s), "echo-server-" + i);
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  return; // closed: the test is over
                }
              }
            },
            "echo-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    return server;
  }

  private static void echo(Socket socket) {
    try (Socket s = socket) {
      s.setSendBufferSize(SOCKET_BUFFER);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      byte[] buf = new byte[8 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    } catch (IOException ignored) {
      // the test's assertions report what went wrong
    }
  }
}
