package io.trellis.proxy.errors;

import io.trellis.config.HostPort;
import io.trellis.config.ServiceRef;
import java.time.Duration;

/**
 * A failure the proxy answers itself, with what failed ("endpoint 10.0.0.1:4143") and why
 * ("connection refused"). Stages raise it where they know the context; {@link Rescue} alone turns
 * it into a status. Carries no stack trace: it is an expected outcome, not a bug, and endpoints
 * that refuse connections must not cost a stack walk per request.
 */
public final class ProxyError extends RuntimeException {

  /** What went wrong; {@link Rescue} maps each kind to one HTTP and one gRPC status. */
  public enum Kind {
    /** The request names no authority to route by. */
    NO_AUTHORITY,
    /** The request's authority is this proxy's own listener. */
    LOOP,
    /** The service had no endpoint within the fail-fast timeout. */
    NO_ENDPOINTS,
    /** The endpoint's request queue is full. */
    LOAD_SHED,
    /** The endpoint refused the connection. */
    CONNECT_REFUSED,
    /** The endpoint did not accept the connection within the connect timeout. */
    CONNECT_TIMEOUT,
    /** The connection to the endpoint failed before a response arrived. */
    ENDPOINT_IO,
    /** The request's ServiceProfile route timeout passed before a response (retries included). */
    ROUTE_TIMEOUT
  }

  private final Kind kind;

  private ProxyError(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static ProxyError noAuthority() {
    return new ProxyError(Kind.NO_AUTHORITY, "request has no authority (Host or :authority)", null);
  }

  public static ProxyError loop(HostPort self) {
    return new ProxyError(
        Kind.LOOP, "authority " + self + " is this proxy: refusing to loop", null);
  }

  public static ProxyError noEndpoints(ServiceRef service, Duration waited) {
    return new ProxyError(
        Kind.NO_ENDPOINTS,
        "service " + service.authority() + ": no endpoints after " + waited.toMillis() + "ms",
        null);
  }

  public static ProxyError loadShed(HostPort endpoint) {
    return new ProxyError(Kind.LOAD_SHED, "endpoint " + endpoint + ": request queue full", null);
  }

  public static ProxyError connectRefused(HostPort endpoint, Throwable cause) {
    return new ProxyError(
        Kind.CONNECT_REFUSED, "endpoint " + endpoint + ": connection refused", cause);
  }

  public static ProxyError connectTimeout(HostPort endpoint, Duration timeout, Throwable cause) {
    return new ProxyError(
        Kind.CONNECT_TIMEOUT,
        "endpoint " + endpoint + ": connect timed out after " + timeout.toMillis() + "ms",
        cause);
  }

  public static ProxyError routeTimeout(String dst, String route, Duration timeout) {
    return new ProxyError(
        Kind.ROUTE_TIMEOUT,
        "service " + dst + " route " + route + ": no response within the route timeout of "
            + timeout.toMillis() + "ms",
        null);
  }

  /**
   * Whether the request failed to reach the endpoint or lost its connection: the failures a
   * retry may answer (a route timeout or the service having no endpoints are not).
   */
  public boolean connectionError() {
    return kind == Kind.CONNECT_REFUSED || kind == Kind.CONNECT_TIMEOUT || kind == Kind.ENDPOINT_IO;
  }

  public static ProxyError endpointIo(HostPort endpoint, String detail, Throwable cause) {
    return new ProxyError(Kind.ENDPOINT_IO, "endpoint " + endpoint + ": " + detail, cause);
  }
}
