package io.trellis.proxy.profile;

import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.http.HttpService;
import java.util.function.Supplier;

/**
 * Puts each request for a mesh service on its ServiceProfile route (first match, else {@code
 * [DEFAULT]}), which route metrics, timeouts and retries then read from the exchange. Requests for
 * no mesh service (egress) get no route.
 */
public final class SelectRoute {
  private SelectRoute() {}

  /** Outbound: the service routing resolved from the authority. */
  public static HttpService.Layer outbound(Profiles profiles) {
    return next ->
        (request, exchange) -> {
          ServiceRef service = exchange.service();
          if (service != null) {
            exchange.route(select(profiles, service, request));
          }
          return next.serve(request, exchange);
        };
  }

  /**
   * Inbound: the service the caller addressed (its authority), so that the server side reports
   * the same routes as its clients ({@code trellis routes svc/X} reads this side).
   */
  public static HttpService.Layer inbound(Profiles profiles, Supplier<MeshConfig> mesh) {
    return next ->
        (request, exchange) -> {
          mesh.get()
              .resolve(exchange.authority(), 80)
              .ifPresent(service -> exchange.route(select(profiles, service, request)));
          return next.serve(request, exchange);
        };
  }

  private static ProfileRoute select(
      Profiles profiles, ServiceRef service, org.apache.pekko.http.javadsl.model.HttpRequest r) {
    return profiles.table(service).select(r.method().value(), r.getUri().path());
  }
}
