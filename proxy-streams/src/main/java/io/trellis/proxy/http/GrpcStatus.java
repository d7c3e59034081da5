package io.trellis.proxy.http;

import org.apache.pekko.http.javadsl.model.HttpHeader;

/** Where a gRPC status travels: a {@code grpc-status} header or trailer. */
public final class GrpcStatus {
  private GrpcStatus() {}

  /** The {@code grpc-status} value among {@code headers} (response headers or trailers), or null. */
  public static String in(Iterable<HttpHeader> headers) {
    for (HttpHeader h : headers) {
      if (h.is("grpc-status")) {
        return h.value();
      }
    }
    return null;
  }
}
