package io.trellis.proxy.retry;

import io.trellis.config.RequestMatch;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import io.trellis.proxy.http.Direction;
import io.trellis.proxy.http.Exchange;
import io.trellis.proxy.http.HttpService;
import io.trellis.proxy.profile.ProfileRoute;
import io.trellis.proxy.profile.RouteTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.util.ByteString;

/**
 * A scripted endpoint in place of the balancer and the network: it records every attempt (and the
 * body it received, read to its end) and answers as the scenario says.
 */
final class Upstream implements HttpService {
  static final ServiceRef SERVICE = new ServiceRef("demo", "web-svc", 80);

  /** Answers attempt number {@code n} (from 1), given the body it received. */
  interface Script extends BiFunction<Integer, ByteString, CompletionStage<HttpResponse>> {}

  final List<ByteString> bodies = new CopyOnWriteArrayList<>();
  private final org.apache.pekko.stream.Materializer materializer;
  private final Script script;

  Upstream(org.apache.pekko.stream.Materializer materializer, Script script) {
    this.materializer = materializer;
    this.script = script;
  }

  int attempts() {
    return bodies.size();
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    return request
        .entity()
        .getDataBytes()
        .runFold(ByteString.emptyByteString(), ByteString::concat, materializer)
        .thenCompose(
            body -> {
              bodies.add(body);
              return script.apply(bodies.size(), body);
            });
  }

  /** A retryable route of {@link #SERVICE} with {@code budget} and {@code timeout}. */
  static ProfileRoute retryableRoute(ServiceProfile.RetryBudget budget, Duration timeout) {
    ServiceProfile profile =
        new ServiceProfile(
            SERVICE.fqdn(),
            "demo",
            List.of(new ServiceProfile.Route(
                "POST /api", RequestMatch.PathRegex.of("/api.*"), List.of(), true, timeout)),
            budget,
            List.of(),
            java.util.Set.of());
    return RouteTable.compile(SERVICE, profile, Duration.ofSeconds(10)).select("POST", "/api");
  }

  static Exchange exchange(ProfileRoute route) {
    Exchange e = new Exchange(Direction.OUTBOUND, System.nanoTime(), SERVICE.authority(), false);
    e.service(SERVICE);
    e.route(route);
    return e;
  }
}
