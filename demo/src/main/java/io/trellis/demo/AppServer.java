package io.trellis.demo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One app's listener, and the plumbing every demo app shares (actor system, run until stopped). */
public final class AppServer {
  private static final Logger log = LoggerFactory.getLogger(AppServer.class);

  /**
   * gRPC needs HTTP/2; with it on, pekko-http serves HTTP/1.1 and h2c prior knowledge on one
   * port, so the web page and the gRPC services use the same settings. {@code preview.} is set
   * too: reference.conf substituted it from enable-http2 before this overlay applies.
   */
  private static final Config APP_CONFIG =
      ConfigFactory.parseString(
          String.join(
              "\n",
              "pekko.http.server.enable-http2 = on",
              "pekko.http.server.preview.enable-http2 = on",
              "pekko.loglevel = INFO",
              "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
              "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
              "pekko.stdout-loglevel = OFF",
              "pekko.log-dead-letters = off",
              "pekko.log-dead-letters-during-shutdown = off",
              // The apps never bind anything but their own listeners: no coordinated-shutdown
              // hook of Pekko's own, the demo's hooks decide the order.
              "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off"));

  private final String name;
  private final ServerBinding binding;

  private AppServer(String name, ServerBinding binding) {
    this.name = name;
    this.binding = binding;
  }

  /** An actor system for one app; each app gets its own, as it would in its own process. */
  public static ActorSystem<Void> newSystem(String app) {
    return ActorSystem.create(
        Behaviors.empty(), "demo-" + app, APP_CONFIG.withFallback(ConfigFactory.load()));
  }

  /** Binds and waits for the listener, so a port already in use fails here, by name. */
  static AppServer bind(
      ActorSystem<?> system,
      String name,
      String address,
      int port,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    try {
      ServerBinding binding =
          Http.get(system)
              .newServerAt(address, port)
              .bind(handler)
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      log.info("{} listening on {}:{}", name, address, binding.localAddress().getPort());
      return new AppServer(name, binding);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          name + ": cannot listen on " + address + ":" + port + ": " + cause.getMessage(), cause);
    }
  }

  public String name() {
    return name;
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Stops accepting, lets requests in flight finish within {@code deadline}. */
  public CompletionStage<?> stop(Duration deadline) {
    return binding.terminate(deadline);
  }

  /** Blocks until the JVM is asked to stop, then stops the servers and the system. */
  static void runUntilStopped(ActorSystem<?> system, AppServer... servers) {
    runUntilStopped(system, () -> CompletableFuture.completedFuture(null), servers);
  }

  /**
   * As {@link #runUntilStopped(ActorSystem, AppServer...)}, running {@code first} (a client
   * stopping its calls) before the servers stop: one hook, so the order is certain.
   */
  static void runUntilStopped(
      ActorSystem<?> system, Supplier<CompletionStage<?>> first, AppServer... servers) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  first.get().toCompletableFuture().join();
                  for (AppServer s : servers) {
                    s.stop(Duration.ofSeconds(3)).toCompletableFuture().join();
                  }
                  system.terminate();
                  system.getWhenTerminated().toCompletableFuture().join();
                },
                "demo-shutdown"));
    system.getWhenTerminated().toCompletableFuture().join();
  }
}
