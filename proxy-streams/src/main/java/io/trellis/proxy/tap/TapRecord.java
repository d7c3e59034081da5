package io.trellis.proxy.tap;

import io.trellis.proxy.http.Direction;
import io.trellis.proxy.metrics.TlsLabels;

/**
 * One request event as the request path records it: the only allocation tap makes per event, and
 * a short-lived one ({@link EventRing#append} copies its fields into a slot the ring allocated at
 * start). It holds references to values the path already has (addresses, method, authority) and is
 * formatted only when someone reads it. A {@code rsp} or {@code end} points at its {@code req},
 * which carries the request's fields; a record read out of the ring carries them itself. Never a
 * body.
 */
public final class TapRecord {
  /** A copy read out of the ring: the request's fields are carried by the event itself. */
  static TapRecord copy(
      Kind kind, long id, Direction direction, Object src, Object dst, TlsLabels tls,
      String method, String authority, String path, String scheme, long wallMillis, int status,
      long nanos, String grpcStatus, long responseBytes, String error) {
    return new TapRecord(kind, null, id, direction, src, dst, tls, method, authority, path, scheme,
        wallMillis, status, nanos, grpcStatus, responseBytes, error);
  }

  /** The three events of a request. */
  public enum Kind {
    REQ,
    RSP,
    END
  }

  private final Kind kind;
  private final TapRecord req;
  private final long id;
  private final Direction direction;
  private final Object src;
  private final Object dst;
  private final TlsLabels tls;
  private final String method;
  private final String authority;
  private final String path;
  private final String scheme;
  private final long wallMillis;
  private final int status;
  private final long nanos;
  private final String grpcStatus;
  private final long responseBytes;
  private final String error;
  private TapRecord(
      Kind kind, TapRecord req, long id, Direction direction, Object src, Object dst, TlsLabels tls,
      String method, String authority, String path, String scheme, long wallMillis, int status,
      long nanos, String grpcStatus, long responseBytes, String error) {
    this.kind = kind;
    this.req = req;
    this.id = id;
    this.direction = direction;
    this.src = src;
    this.dst = dst;
    this.tls = tls;
    this.method = method;
    this.authority = authority;
    this.path = path;
    this.scheme = scheme;
    this.wallMillis = wallMillis;
    this.status = status;
    this.nanos = nanos;
    this.grpcStatus = grpcStatus;
    this.responseBytes = responseBytes;
    this.error = error;
  }

  /**
   * A request: {@code src} and {@code dst} are anything whose {@code toString} is ip:port
   * (formatted only when read); {@code tls} the connection's, as the HTTP metrics label it (the
   * peer's identity when mTLS).
   */
  public static TapRecord req(
      long id, Direction direction, Object src, Object dst, TlsLabels tls, String method,
      String authority, String path, String scheme, long wallMillis) {
    return new TapRecord(Kind.REQ, null, id, direction, src, dst, tls, method, authority, path,
        scheme, wallMillis, 0, 0, null, 0, null);
  }

  /** The response headers of {@code req}: status, time since the request arrived. */
  public static TapRecord rsp(
      TapRecord req, int status, long latencyNanos, String grpcStatus, long wallMillis) {
    return new TapRecord(Kind.RSP, req, req.id, req.direction, null, null, null, null, null, null,
        null, wallMillis, status, latencyNanos, grpcStatus, 0, null);
  }

  /** The end of {@code req}'s response body; {@code error} is null when it completed. */
  public static TapRecord end(
      TapRecord req, int status, long durationNanos, String grpcStatus, long responseBytes,
      String error, long wallMillis) {
    return new TapRecord(Kind.END, req, req.id, req.direction, null, null, null, null, null, null,
        null, wallMillis, status, durationNanos, grpcStatus, responseBytes, error);
  }

  public Kind kind() {
    return kind;
  }

  /** The request this event belongs to (itself for {@code req}). */
  public TapRecord request() {
    return req == null ? this : req;
  }

  public long id() {
    return id;
  }

  public Direction direction() {
    return direction;
  }

  public Object src() {
    return request().src;
  }

  public Object dst() {
    return request().dst;
  }

  public TlsLabels tls() {
    return request().tls;
  }

  public String method() {
    return request().method;
  }

  public String authority() {
    return request().authority;
  }

  public String path() {
    return request().path;
  }

  public String scheme() {
    return request().scheme;
  }

  /** When this event happened (epoch millis); for {@code req}, when the request arrived. */
  public long wallMillis() {
    return wallMillis;
  }

  public int status() {
    return status;
  }

  /** {@code rsp}: latency to response headers; {@code end}: headers to end of body. */
  public long nanos() {
    return nanos;
  }

  /** The gRPC status code ("0") when known, else null. */
  public String grpcStatus() {
    return grpcStatus;
  }

  public long responseBytes() {
    return responseBytes;
  }

  public String error() {
    return error;
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase() + " id=0:" + id + " " + direction + " " + method() + " "
        + authority() + path() + (kind == Kind.REQ ? "" : " status=" + status);
  }
}
