package io.trellis.proxy.http;

import io.trellis.config.Endpoint;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.errors.ProxyError;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/** Decides where a request goes: a mesh service, an egress address, or the workload's app. */
public final class Route {
  private Route() {}

  /**
   * Outbound: the authority (Host for HTTP/1.1, :authority for HTTP/2) names a service of the
   * current mesh snapshot, which the balancer then serves; any other authority is egress, sent as
   * is to its host and port. The mesh is read per request, so edits apply to the next request.
   *
   * @param self the proxy's own listeners, which egress must never target
   */
  public static HttpService.Layer byAuthority(Supplier<MeshConfig> mesh, Set<HostPort> self) {
    return next ->
        (request, exchange) -> {
          String authority = exchange.authority();
          if (authority.isEmpty()) {
            return CompletableFuture.failedFuture(ProxyError.noAuthority());
          }
          Optional<ServiceRef> service = mesh.get().resolve(authority, 80);
          if (service.isPresent()) {
            exchange.service(service.get());
          } else {
            Endpoint egress = egress(request);
            // A request for the proxy's own listener would be sent to itself, again and again.
            if (self.contains(egress.address())) {
              return CompletableFuture.failedFuture(ProxyError.loop(egress.address()));
            }
            exchange.endpoint(egress);
          }
          return next.serve(request, exchange);
        };
  }

  /** Inbound: every request goes to the workload's app. */
  public static HttpService.Layer toApp(HostPort app) {
    Endpoint endpoint = new Endpoint(app, null, null);
    return next ->
        (request, exchange) -> {
          exchange.endpoint(endpoint);
          return next.serve(request, exchange);
        };
  }

  private static Endpoint egress(HttpRequest request) {
    var uri = request.getUri().asScala();
    return new Endpoint(
        new HostPort(uri.authority().host().address(), uri.effectivePort()), null, null);
  }
}
