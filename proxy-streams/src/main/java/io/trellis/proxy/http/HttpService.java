package io.trellis.proxy.http;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * One step of the request path: takes a request and its exchange, answers with the response
 * headers; bodies stream inside the request and response entities. Stages are decorators around the
 * next service (as in tower and Armeria), so the whole path is built by wrapping, in one place
 * ({@code io.trellis.proxy.Sidecar}).
 *
 * <p>Implementations never block and never buffer an entity.
 */
@FunctionalInterface
public interface HttpService {
  CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange);

  /** A stage: wraps the next service in a new one. */
  @FunctionalInterface
  interface Layer {
    HttpService wrap(HttpService next);
  }

  /** Wraps this service in {@code layer}; reads innermost first, like linkerd2-proxy's stacks. */
  default HttpService push(Layer layer) {
    return layer.wrap(this);
  }
}
