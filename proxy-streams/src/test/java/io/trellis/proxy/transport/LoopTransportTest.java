package io.trellis.proxy.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.trellis.proxy.ProxySettings;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LoopTransport}: accepted connections are spread over the loops round-robin and their
 * graphs run on their loop's thread; a client connection made with {@link LoopTransport#connect}
 * carries bytes both ways (an accepting echo behind a relaying listener).
 */
class LoopTransportTest {
  private static ActorSystem system;
  private static LoopTransport transport;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create("loop-transport-test", ConfigFactory.load());
    transport =
        LoopTransport.start(system, 2, ChannelStage.Options.defaults())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Test
  void defaultsAreTheLoopTransportWithOneLoop() {
    ProxySettings.Transport t =
        ProxySettings.fromConfig(
                ConfigFactory.defaultReference().withFallback(ConfigFactory.load()))
            .transport();
    assertEquals(ProxySettings.Transport.Kind.LOOP, t.kind());
    assertEquals(1, t.loops());
  }

  @Test
  void connectionsRoundRobinOverLoopsAndRelayThroughConnect() throws Exception {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    LoopTransport.Binding echo =
        transport
            .bind(
                any,
                16,
                remote ->
                    Flow.<ByteString>create()
                        .map(
                            b -> {
                              threads.add(Thread.currentThread().getName());
                              return b;
                            }))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    LoopTransport.Binding relay =
        transport
            .bind(
                any,
                16,
                remote ->
                    Flow.<ByteString>create()
                        .map(
                            b -> {
                              threads.add(Thread.currentThread().getName());
                              return b;
                            })
                        .via(transport.connect(echo.localAddress())))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    try {
      for (int i = 0; i < 4; i++) {
        try (Socket s = new Socket()) {
          s.connect(relay.localAddress(), 5000);
          s.setSoTimeout(10_000);
          OutputStream out = s.getOutputStream();
          byte[] sent = ("hello " + i).getBytes(StandardCharsets.US_ASCII);
          out.write(sent);
          out.flush();
          InputStream in = s.getInputStream();
          byte[] got = in.readNBytes(sent.length);
          assertEquals(new String(sent, StandardCharsets.US_ASCII), new String(got));
          s.shutdownOutput();
          assertEquals(-1, in.read(), "half-close passes through relay and echo");
        }
      }
    } finally {
      relay.close();
      echo.close();
    }
    assertTrue(
        threads.stream().allMatch(n -> n.startsWith(LoopTransport.DISPATCHER)), threads.toString());
    assertEquals(2, threads.size(), "connections spread over both loops: " + threads);
  }

  @Test
  void aSniffingListenerChoosesEachConnectionsFlowByItsHead() throws Exception {
    java.util.List<String> heads = new java.util.concurrent.CopyOnWriteArrayList<>();
    InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    // decisive at 4 bytes; at most 8; a client that says nothing for 300 ms gets a greeting
    LoopTransport.Sniffing sniffing =
        new LoopTransport.Sniffing(h -> h.size() >= 4, 8, java.time.Duration.ofMillis(300));
    LoopTransport.Binding listener =
        transport
            .bind(
                any,
                16,
                1, // one connection at a time: each test connection must free its slot
                sniffing,
                (remote, head) -> {
                  heads.add(head.utf8String());
                  if (head.isEmpty()) {
                    return Flow.fromSinkAndSource(
                        org.apache.pekko.stream.javadsl.Sink.ignore(),
                        org.apache.pekko.stream.javadsl.Source.single(ByteString.fromString("hi\n")));
                  }
                  return Flow.<ByteString>create().map(b -> ByteString.fromString("[").concat(b));
                })
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    try {
      // 1. a head in two writes, then more: the flow gets the head first, whole, then the rest
      try (Socket s = connect(listener)) {
        write(s, "GE"); // not decisive: a head of "GE" would fail the assertions below
        write(s, "T /x");
        assertEquals("[GET /x", read(s, 7));
        write(s, "yz");
        assertEquals("[yz", read(s, 3));
        s.shutdownOutput();
        assertEquals(-1, s.getInputStream().read(), "the client's end passes through");
      }
      assertEquals("GET /x", heads.get(0));
      // 2. the client ends its side before the head is decisive: the flow gets what came
      try (Socket s = connect(listener)) {
        write(s, "ab");
        s.shutdownOutput();
        assertEquals("[ab", read(s, 3));
        assertEquals(-1, s.getInputStream().read());
      }
      assertEquals("ab", heads.get(1));
      // 3. a client that closes without a byte never reaches a flow (and frees its slot)
      try (Socket s = connect(listener)) {
        s.shutdownOutput();
        assertEquals(-1, s.getInputStream().read(), "closed");
      }
      // 4. a client that waits for the server: after the timeout the head is empty
      try (Socket s = connect(listener)) {
        assertEquals("hi\n", read(s, 3));
      }
      assertEquals(java.util.List.of("GET /x", "ab", ""), heads);
      // 5. a head that is never decisive stops at maxBytes (the read that crossed it)
      try (Socket s = connect(listener)) {
        write(s, "123456789");
        String got = read(s, 10);
        assertEquals("[123456789", got);
      }
      assertEquals("123456789", heads.get(3));
    } finally {
      listener.close();
    }
  }

  private static Socket connect(LoopTransport.Binding to) throws java.io.IOException {
    Socket s = new Socket();
    s.connect(to.localAddress(), 5000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static void write(Socket s, String text) throws java.io.IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
  }

  private static String read(Socket s, int n) throws java.io.IOException {
    return new String(s.getInputStream().readNBytes(n), StandardCharsets.US_ASCII);
  }
}
