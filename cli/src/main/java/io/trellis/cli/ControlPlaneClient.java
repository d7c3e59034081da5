package io.trellis.cli;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.trellis.api.controlplane.ControlPlaneStatusClient;
import io.trellis.api.resources.ResourcesClient;
import io.trellis.config.HostPort;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import picocli.CommandLine.Option;

/**
 * How a command reaches the control plane: {@code --control-plane HOST:PORT} (a picocli mixin),
 * and the gRPC clients over one small actor system, closed with the command.
 */
final class ControlPlaneClient implements AutoCloseable {
  static final String DEFAULT_ADDRESS = "127.0.0.1:8086";
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** The {@code --control-plane} option, shared by every command that talks to it. */
  static final class Options {
    @Option(
        names = "--control-plane",
        paramLabel = "HOST:PORT",
        defaultValue = DEFAULT_ADDRESS,
        description = "The control plane's API (default ${DEFAULT-VALUE}).")
    String address;

    HostPort hostPort() {
      return HostPort.parse(address); // IllegalArgumentException names what is wrong
    }
  }

  /** A call that failed: what to tell the user, and the exit code. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    Failure(String message, int exitCode) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }
  }

  private final HostPort address;
  private final ActorSystem<Void> system;
  private ResourcesClient resources;
  private ControlPlaneStatusClient status;

  ControlPlaneClient(HostPort address) {
    this.address = address;
    this.system = ActorSystem.create(Behaviors.empty(), "trellis-cli",
        ConfigFactory.parseString("pekko.loglevel = ERROR\npekko.coordinated-shutdown"
            + ".run-by-jvm-shutdown-hook = off").withFallback(ConfigFactory.load()));
  }

  HostPort address() {
    return address;
  }

  private GrpcClientSettings settings() {
    return GrpcClientSettings.connectToServiceAt(address.host(), address.port(), system)
        .withTls(false)
        .withConnectionAttempts(2)
        .withDeadline(CALL_TIMEOUT);
  }

  ResourcesClient resources() {
    if (resources == null) {
      resources = ResourcesClient.create(settings(), system);
    }
    return resources;
  }

  ControlPlaneStatusClient status() {
    if (status == null) {
      status = ControlPlaneStatusClient.create(settings(), system);
    }
    return status;
  }

  /**
   * Waits for a call. Refusals come back with the control plane's message: INVALID_ARGUMENT
   * exits 2, the rest 1; an unreachable control plane names its address.
   */
  <T> T await(CompletionStage<T> call) throws Failure {
    try {
      return call.toCompletableFuture().get(CALL_TIMEOUT.toMillis() + 2000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Status s = Status.fromThrowable(e.getCause());
      switch (s.getCode()) {
        case INVALID_ARGUMENT:
          throw new Failure(s.getDescription(), 2);
        case NOT_FOUND:
        case FAILED_PRECONDITION:
        case ALREADY_EXISTS:
          throw new Failure(s.getDescription(), 1);
        case UNIMPLEMENTED:
          throw new Failure("the control plane at " + address + " does not serve this API "
              + "(an older version?)", 1);
        default:
          throw new Failure("cannot reach the control plane at " + address + " ("
              + s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription())
              + "); is it running? (trellis control-plane, or --control-plane HOST:PORT)", 1);
      }
    } catch (TimeoutException e) {
      throw new Failure("the control plane at " + address + " did not answer within "
          + CALL_TIMEOUT.toSeconds() + "s", 1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted", 1);
    }
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // leaving anyway
    }
  }
}
