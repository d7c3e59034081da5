package io.trellis.proxy.split;

import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.http.HttpService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Gives each request for a mesh service its concrete backend (Linkerd's logical to concrete step):
 * the first header rule that matches, else a weighted draw over the service's TrafficSplit, else
 * the service itself; the balancer then picks an endpoint of that backend and metrics label it {@code
 * dst_service}. Below the retries, so each attempt draws afresh (as Linkerd's split under its
 * retries); the logical service and its route stay as they were.
 */
public final class SelectBackend {
  private SelectBackend() {}

  /** Tables compiled from {@code mesh} per snapshot; draws from the calling thread's random. */
  public static HttpService.Layer of(Supplier<MeshConfig> mesh) {
    Backends backends = new Backends(mesh);
    return next ->
        (request, exchange) -> {
          ServiceRef service = exchange.service();
          if (service != null) {
            BackendTable table = backends.table(service);
            exchange.backend(
                table == null
                    ? service
                    : table.pick(name -> header(request, name), ThreadLocalRandom.current()));
          }
          return next.serve(request, exchange);
        };
  }

  private static String header(HttpRequest request, String lowerCaseName) {
    for (HttpHeader h : request.getHeaders()) {
      if (h.lowercaseName().equals(lowerCaseName)) {
        return h.value();
      }
    }
    return null;
  }
}
