package io.trellis.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.trellis.api.tap.TapClient;
import io.trellis.api.tap.TapEvent;
import io.trellis.api.tap.TapRequest;
import io.trellis.config.HostPort;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * One Observe call to the control plane's Tap service for {@code tap} and {@code top}: events go to
 * a consumer (on one thread at a time), notices to stderr. Ends when the stream ends, after {@code
 * duration} when given, or on Ctrl-C (the JVM's shutdown hook stops the stream first, so the
 * command exits without a trace).
 */
final class TapStream {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private TapStream() {}

  static int run(
      String command,
      HostPort controlPlane,
      TapRequest request,
      Duration duration,
      Consumer<TapEvent> events,
      PrintWriter err) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "trellis-" + command);
    TapClient client =
        TapClient.create(
            GrpcClientSettings.connectToServiceAt(controlPlane.host(), controlPlane.port(), system)
                .withTls(false),
            system);
    var run =
        client
            .observe(request)
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(
                Sink.foreach(
                    e -> {
                      if (e.getKind() == TapEvent.Kind.NOTICE) {
                        err.println("trellis " + command + ": " + e.getMessage());
                        err.flush();
                      } else {
                        events.accept(e);
                      }
                    }),
                Keep.both())
            .run(system);
    UniqueKillSwitch stop = run.first();
    Thread hook = new Thread(stop::shutdown, "trellis-" + command + "-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    CompletableFuture<?> done = run.second().toCompletableFuture();
    try {
      if (duration != null) {
        try {
          done.get(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          stop.shutdown();
          done.join();
        }
      } else {
        done.join();
      }
      return OK;
    } catch (Exception e) {
      Throwable cause = e instanceof CompletionException || e.getCause() != null ? e.getCause() : e;
      return failure(command, controlPlane, cause, err);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is running
      }
      client.close();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  private static int failure(String command, HostPort controlPlane, Throwable cause, PrintWriter err) {
    Status status = null;
    if (cause instanceof GrpcServiceException g) {
      status = g.getStatus();
    } else if (cause instanceof StatusRuntimeException s) {
      status = s.getStatus();
    }
    if (status != null && (status.getCode() == Status.Code.INVALID_ARGUMENT
        || status.getCode() == Status.Code.NOT_FOUND)) {
      err.println("trellis " + command + ": " + status.getDescription());
      err.flush();
      return USAGE;
    }
    String why = status != null
        ? status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription())
        : String.valueOf(cause.getMessage());
    err.println("trellis " + command + ": control plane " + controlPlane + ": " + why);
    err.flush();
    return FAILED;
  }
}
