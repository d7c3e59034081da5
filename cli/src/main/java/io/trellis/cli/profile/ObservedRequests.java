package io.trellis.cli.profile;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where {@code trellis profile --tap} gets its traffic: the requests a workload's proxy received
 * (inbound) during a while. The control plane's tap API is the real source ({@code
 * io.trellis.cli.TapObservedRequests}); tests may use a fixed list.
 */
@FunctionalInterface
public interface ObservedRequests {
  /**
   * The requests {@code workload} in {@code namespace} received during {@code duration}, in the
   * order seen.
   *
   * @throws TapUnavailableException when there is no way to observe traffic
   */
  List<Request> observe(String workload, String namespace, Duration duration);

  /** One observed request: its method and path (the query, if any, is ignored). */
  record Request(String method, String path) {
    public Request {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(path, "path");
    }
  }

  /**
   * Traffic cannot be observed; the message says why and what to do instead, or is null when the
   * reason was already printed (then {@link #exitCode()} is the command's exit code).
   */
  final class TapUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public TapUnavailableException(String message) {
      this(message, 1);
    }

    public TapUnavailableException(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }

    /** Whether the reason is still to be printed. */
    public boolean hasMessage() {
      return getMessage() != null;
    }

    public int exitCode() {
      return exitCode;
    }
  }
}
