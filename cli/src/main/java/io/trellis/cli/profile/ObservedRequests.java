package io.trellis.cli.profile;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where {@code trellis profile --tap} gets its traffic: the requests a workload's proxy received
 * (inbound) during a while. The control plane's tap API is the real source; tests use a fixed
 * list.
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

  /** No tap API to ask (yet): every observation fails with a clear message. */
  static ObservedRequests unavailable() {
    return (workload, namespace, duration) -> {
      throw new TapUnavailableException(
          "--tap needs the control plane's tap API, which this build of Trellis does not have"
              + " yet; write the profile with --template, --open-api or --proto instead");
    };
  }

  /** Traffic cannot be observed; the message says why and what to do instead. */
  final class TapUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TapUnavailableException(String message) {
      super(message);
    }
  }
}
