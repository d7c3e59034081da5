package io.trellis.cli;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.trellis.api.metrics.MetricsClient;
import io.trellis.config.HostPort;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import picocli.CommandLine.Option;

/**
 * {@code --control-plane HOST:PORT} (default 127.0.0.1:8086) and one call to the control plane's
 * metrics API over it, with failures turned into an exit code and a message: 2 for what the
 * control plane calls a bad request, 1 when it cannot be reached or cannot answer.
 */
final class ControlPlaneApi {
  static final String DEFAULT = "127.0.0.1:8086";
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @Option(
      names = "--control-plane",
      paramLabel = "HOST:PORT",
      description = "The control plane's API (default " + DEFAULT + ").")
  String controlPlane = DEFAULT;

  /** The outcome of a call: the answer, or an exit code and what to tell the user. */
  record Result<T>(T answer, int exitCode, String error) {}

  <T> Result<T> call(Function<MetricsClient, CompletionStage<T>> request) {
    HostPort at;
    try {
      at = HostPort.parse(controlPlane);
    } catch (IllegalArgumentException e) {
      return new Result<>(null, 2, "--control-plane " + controlPlane + ": " + e.getMessage());
    }
    ActorSystem system = ActorSystem.create("trellis-cli", ConfigFactory.parseString(
        "pekko.loglevel = ERROR\npekko.log-dead-letters = off").withFallback(ConfigFactory.load()));
    MetricsClient client = MetricsClient.create(
        GrpcClientSettings.connectToServiceAt(at.host(), at.port(), system)
            .withTls(false)
            .withConnectionAttempts(2)
            .withDeadline(DEADLINE),
        system);
    try {
      T answer = request.apply(client).toCompletableFuture()
          .get(DEADLINE.toMillis() + 1000, TimeUnit.MILLISECONDS);
      return new Result<>(answer, 0, null);
    } catch (java.util.concurrent.ExecutionException | CompletionException e) {
      return failure(e.getCause() == null ? e : e.getCause(), at);
    } catch (TimeoutException e) {
      return new Result<>(null, 1, "the control plane at " + at + " did not answer within "
          + DEADLINE.toSeconds() + "s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result<>(null, 1, "interrupted");
    } finally {
      client.close();
      system.terminate();
    }
  }

  private static <T> Result<T> failure(Throwable e, HostPort at) {
    Status status = e instanceof StatusRuntimeException s ? s.getStatus()
        : e instanceof org.apache.pekko.grpc.GrpcServiceException g ? g.getStatus()
        : Status.fromThrowable(e);
    String why = status.getDescription() != null ? status.getDescription() : String.valueOf(e);
    return switch (status.getCode()) {
      case INVALID_ARGUMENT -> new Result<>(null, 2, why);
      case UNIMPLEMENTED, NOT_FOUND -> new Result<>(null, 1, "the control plane at " + at
          + " has no metrics API (an older version?): " + why);
      case UNAVAILABLE -> new Result<>(null, 1, why.contains("prometheus") ? why
          : "cannot reach the control plane at " + at + " (is `trellis control-plane` running? "
              + "--control-plane names another): " + why);
      default -> new Result<>(null, 1, "the control plane at " + at + " failed: " + why);
    };
  }
}
