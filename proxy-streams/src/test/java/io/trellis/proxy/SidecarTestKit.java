package io.trellis.proxy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.trellis.api.tap.TapClient;
import io.trellis.api.tap.TapEvent;
import io.trellis.api.tap.TapRequest;
import io.trellis.config.HostPort;
import io.trellis.config.WorkloadConfig;
import io.trellis.proxy.balance.ActorDestinations;
import io.trellis.proxy.balance.BalanceSettings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * One actor system, mesh and balancer per test class; sidecars and apps started by the tests are
 * stopped after the class. Timeouts are shortened so error scenarios stay fast.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SidecarTestKit {
  static final Duration AWAIT = Duration.ofSeconds(10);

  static final String TEST_SETTINGS =
      "trellis.proxy.outbound.fail-fast-timeout = 500ms\n"
          + "trellis.proxy.outbound.connect-timeout = 500ms\n"
          + "trellis.proxy.inbound.connect-timeout = 300ms\n"
          + "trellis.proxy.metrics.min-refresh = 0s\n";

  final TestMesh mesh = new TestMesh();
  final Deque<AutoCloseable> started = new ArrayDeque<>();
  ActorSystem<Void> system;
  ProxySettings settings;
  ActorDestinations destinations;

  /** Settings a test class adds to {@link #TEST_SETTINGS} (HOCON; they win). */
  String extraSettings() {
    return "";
  }

  @BeforeAll
  void startSystem() {
    Config config =
        ConfigFactory.parseString(extraSettings())
            .withFallback(ConfigFactory.parseString(TEST_SETTINGS))
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), getClass().getSimpleName(), config);
    settings = ProxySettings.fromConfig(config);
    destinations = ActorDestinations.start(system, mesh, BalanceSettings.fromConfig(config));
  }

  @AfterAll
  void stopSystem() throws Exception {
    while (!started.isEmpty()) {
      started.pop().close();
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  Sidecar sidecar(WorkloadConfig workload) {
    return sidecar(workload, null);
  }

  /** A sidecar with an identity ({@code credentials}), or without one when null. */
  Sidecar sidecar(WorkloadConfig workload, io.trellis.identity.tls.MeshCredentials credentials) {
    Sidecar sidecar =
        Sidecar.start(
                system,
                workload,
                mesh::current,
                destinations,
                settings,
                Optional.ofNullable(credentials))
            .toCompletableFuture()
            .join();
    started.push(() -> sidecar.stop(Duration.ofMillis(300)).toCompletableFuture().join());
    return sidecar;
  }

  TestApp app(WorkloadConfig workload) {
    return app(workload.name(), workload.app());
  }

  TestApp app(String name, HostPort at) {
    TestApp app = TestApp.start(system, name, at);
    started.push(app);
    return app;
  }

  /**
   * Sends one request over a new HTTP/1.1 connection to {@code to}, in origin form with the URI's
   * authority as Host (pekko's connection-level client would send an absolute URI as is, with the
   * connection's address as Host).
   */
  HttpResponse h1(InetSocketAddress to, HttpRequest request) {
    var uri = request.getUri();
    var authority = uri.asScala().authority(); // as written: no default port added
    HttpRequest originForm =
        request
            .withUri(uri.toRelative())
            .addHeader(
                org.apache.pekko.http.javadsl.model.headers.Host.create(
                    authority.host().address(), authority.port()));
    return Source.single(originForm)
        .via(Http.get(system).connectionTo(to.getHostString()).toPort(to.getPort()).http())
        .runWith(Sink.head(), system)
        .toCompletableFuture()
        .orTimeout(AWAIT.toMillis(), TimeUnit.MILLISECONDS)
        .join();
  }

  /**
   * Sends one request over a new h2c (prior knowledge) connection to {@code to}. The connection
   * stays open (until the actor system stops) so that a streaming response body is not cut off when
   * the request side completes.
   */
  HttpResponse h2(InetSocketAddress to, HttpRequest request) {
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    Source.single(request)
        .concat(Source.never())
        .via(
            Http.get(system)
                .connectionTo(to.getHostString())
                .toPort(to.getPort())
                .http2WithPriorKnowledge())
        .runWith(Sink.foreach(response::complete), system);
    return response.orTimeout(AWAIT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  String body(HttpResponse response) {
    return response
        .entity()
        .toStrict(AWAIT.toMillis(), Materializer.matFromSystem(system))
        .toCompletableFuture()
        .join()
        .getData()
        .utf8String();
  }

  static Optional<String> header(HttpResponse response, String name) {
    return response.getHeader(name).map(h -> h.value());
  }

  /** The first {@code n} tap events (the last minute's, replayed) of requests for {@code path}. */
  List<TapEvent> tap(InetSocketAddress at, String path, int n) {
    TapClient tap =
        TapClient.create(
            GrpcClientSettings.connectToServiceAt(at.getHostString(), at.getPort(), system)
                .withTls(false),
            system);
    try {
      return tap.observe(
              TapRequest.newBuilder().setPath(path).setSinceMs(60_000).setLimit(n).build())
          .runWith(Sink.seq(), system)
          .toCompletableFuture()
          .orTimeout(AWAIT.toMillis(), TimeUnit.MILLISECONDS)
          .join();
    } finally {
      tap.close();
    }
  }

  /** Polls {@code probe} until it returns a value or {@link #AWAIT} passes. */
  static <T> T await(String what, Supplier<Optional<T>> probe) throws InterruptedException {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<T> value = probe.get();
      if (value.isPresent()) {
        return value.get();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  static ByteString bytes(String s) {
    return ByteString.fromString(s);
  }
}
