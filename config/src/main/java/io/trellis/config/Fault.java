package io.trellis.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Fault injection on a route: abort a share of its requests with a status, and/or delay a share by
 * a duration (both may apply to one request: it is delayed, then aborted). Percentages are 0..100.
 *
 * @param abort null for none
 * @param delay null for none
 */
public record Fault(Abort abort, Delay delay) {
  /**
   * @param status the HTTP status answered (gRPC callers get HTTP 200 and {@code grpcStatus})
   * @param grpcStatus the gRPC status code answered to gRPC requests (default 14, UNAVAILABLE)
   */
  public record Abort(double percent, int status, int grpcStatus) {
    public static final int DEFAULT_GRPC_STATUS = 14;

    public Abort {
      checkPercent(percent);
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("status " + status + " is not an HTTP status");
      }
      if (grpcStatus < 0 || grpcStatus > 16) {
        throw new IllegalArgumentException("grpc status " + grpcStatus + " is not 0..16");
      }
    }
  }

  public record Delay(double percent, Duration duration) {
    public Delay {
      checkPercent(percent);
      Objects.requireNonNull(duration, "duration");
    }
  }

  private static void checkPercent(double percent) {
    if (!(percent >= 0 && percent <= 100)) {
      throw new IllegalArgumentException("percent " + percent + " is not 0..100");
    }
  }
}
