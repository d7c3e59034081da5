package io.trellis.cli;

import io.grpc.Status;
import io.trellis.api.tap.TapEvent;

/** Tap events as Linkerd prints them, and as JSON objects (one per line). */
final class TapLines {
  private TapLines() {}

  /**
   * {@code req id=0:1 proxy=out src=IP:P dst=IP:P tls=disabled :method=GET :authority=web-svc:80
   * :path=/api/list}; wide adds {@code src_res= dst_res=}; replayed events end with {@code
   * replay=true}.
   */
  static String text(TapEvent e, boolean wide) {
    StringBuilder b = new StringBuilder();
    b.append(kind(e)).append(" id=").append(e.getId())
        .append(" proxy=").append(e.getProxyDirection())
        .append(" src=").append(e.getSrc())
        .append(" dst=").append(e.getDst())
        .append(" tls=").append(e.getTls());
    switch (e.getKind()) {
      case REQ -> b.append(" :method=").append(e.getMethod())
          .append(" :authority=").append(e.getAuthority())
          .append(" :path=").append(e.getPath());
      case RSP -> b.append(" :status=").append(e.getStatus())
          .append(" latency=").append(e.getLatencyUs()).append("µs");
      case END -> {
        if (!e.getGrpcStatus().isEmpty()) {
          b.append(" grpc-status=").append(grpcName(e.getGrpcStatus()));
        }
        b.append(" duration=").append(e.getDurationUs()).append("µs")
            .append(" response-length=").append(e.getResponseBytes()).append('B');
        if (!e.getError().isEmpty()) {
          b.append(" error=").append(quoted(e.getError()));
        }
      }
      default -> {}
    }
    if (wide) {
      b.append(" src_res=").append(orDash(e.getSrcResource()))
          .append(" dst_res=").append(orDash(e.getDstResource()));
    }
    if (e.getReplay()) {
      b.append(" replay=true");
    }
    return b.toString();
  }

  static String json(TapEvent e) {
    StringBuilder b = new StringBuilder("{");
    field(b, "type", kind(e));
    field(b, "id", e.getId());
    field(b, "proxy", e.getProxy());
    field(b, "direction", e.getProxyDirection());
    field(b, "source", e.getSrc());
    field(b, "destination", e.getDst());
    field(b, "sourceResource", e.getSrcResource());
    field(b, "destinationResource", e.getDstResource());
    field(b, "tls", e.getTls());
    if (!e.getClientId().isEmpty()) {
      field(b, "clientId", e.getClientId());
    }
    if (!e.getServerId().isEmpty()) {
      field(b, "serverId", e.getServerId());
    }
    switch (e.getKind()) {
      case REQ -> {
        field(b, "method", e.getMethod());
        field(b, "authority", e.getAuthority());
        field(b, "path", e.getPath());
        field(b, "scheme", e.getScheme());
      }
      case RSP -> {
        number(b, "status", e.getStatus());
        number(b, "latencyMicros", e.getLatencyUs());
        if (!e.getGrpcStatus().isEmpty()) {
          field(b, "grpcStatus", grpcName(e.getGrpcStatus()));
        }
      }
      case END -> {
        number(b, "status", e.getStatus());
        if (!e.getGrpcStatus().isEmpty()) {
          field(b, "grpcStatus", grpcName(e.getGrpcStatus()));
        }
        number(b, "durationMicros", e.getDurationUs());
        number(b, "responseBytes", e.getResponseBytes());
        if (!e.getError().isEmpty()) {
          field(b, "error", e.getError());
        }
      }
      default -> {}
    }
    number(b, "timestampMillis", e.getTimestampMs());
    b.append(",\"replay\":").append(e.getReplay());
    return b.append('}').toString();
  }

  /** A gRPC status code by name (0 is OK), as Linkerd prints it. */
  static String grpcName(String code) {
    try {
      return Status.fromCodeValue(Integer.parseInt(code)).getCode().name();
    } catch (NumberFormatException e) {
      return code;
    }
  }

  private static String kind(TapEvent e) {
    return e.getKind().name().toLowerCase();
  }

  private static String orDash(String s) {
    return s.isEmpty() ? "-" : s;
  }

  private static void field(StringBuilder b, String name, String value) {
    if (b.length() > 1) {
      b.append(',');
    }
    b.append('"').append(name).append("\":").append(quoted(value));
  }

  private static void number(StringBuilder b, String name, long value) {
    b.append(",\"").append(name).append("\":").append(value);
  }

  static String quoted(String s) {
    return io.trellis.demo.Json.str(s);
  }
}
