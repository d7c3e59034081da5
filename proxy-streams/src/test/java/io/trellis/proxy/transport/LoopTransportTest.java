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
}
