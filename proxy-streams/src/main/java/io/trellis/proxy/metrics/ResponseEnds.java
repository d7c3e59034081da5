package io.trellis.proxy.metrics;

import io.trellis.proxy.http.Entities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;

/**
 * Tells a listener when a response body ends, with the gRPC status it carried (trailers, or the
 * headers of a trailers-only answer). The body is watched by a pass-through stage fused into the
 * entity's own stream ({@link WatchEnd}): nothing is buffered or delayed, backpressure untouched.
 */
public final class ResponseEnds {
  private ResponseEnds() {}

  /** Called exactly once per response. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param grpcStatus the last grpc-status seen, or null
     * @param failure null when the body completed; else why it failed or was cancelled
     */
    void ended(String grpcStatus, Throwable failure);
  }

  /** {@code response} with its body watched; a strict or empty body counts as ended at once. */
  public static HttpResponse watch(HttpResponse response, Listener listener) {
    Watch watch = new Watch(grpcStatusHeader(response), listener);
    ResponseEntity entity = response.entity();
    if (entity.isKnownEmpty() || entity instanceof HttpEntity.Strict) {
      watch.ended(null);
      return response;
    }
    return response.withEntity(Entities.through(entity, new WatchEnd<>(watch)));
  }

  /** A gRPC status sent in the response headers (a trailers-only response), or null. */
  public static String grpcStatusHeader(HttpResponse response) {
    for (HttpHeader h : response.getHeaders()) {
      if (h.is("grpc-status")) {
        return h.value();
      }
    }
    return null;
  }

  /** Reads the gRPC status from the trailers as the body passes. */
  private static final class Watch implements WatchEnd.Listener {
    private final Listener listener;
    private String grpcStatus;

    Watch(String grpcStatus, Listener listener) {
      this.grpcStatus = grpcStatus;
      this.listener = listener;
    }

    @Override
    public void element(Object element) {
      if (element instanceof HttpEntity.ChunkStreamPart part && part.isLastChunk()) {
        for (HttpHeader h : part.getTrailerHeaders()) {
          if (h.is("grpc-status")) {
            grpcStatus = h.value();
          }
        }
      }
    }

    @Override
    public void ended(Throwable failure) {
      listener.ended(grpcStatus, failure);
    }
  }
}
