package io.trellis.proxy.admin;

import io.trellis.proxy.metrics.KamonSetup;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.util.ByteString;

/**
 * The admin listener's routes, as Linkerd's proxy serves them on 4191: {@code /metrics} (Prometheus
 * text from Kamon's reporter), {@code /ready} (200 once the proxy's listeners are bound and, with
 * identity, its first certificate has arrived; 503 before) and {@code /live} (200 while the
 * process runs).
 */
public final class AdminServer {
  private static final ContentType PROMETHEUS =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final BooleanSupplier ready;

  public AdminServer(BooleanSupplier ready) {
    this.ready = ready;
  }

  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    return CompletableFuture.completedFuture(respond(request));
  }

  HttpResponse respond(HttpRequest request) {
    if (request.method() != HttpMethods.GET && request.method() != HttpMethods.HEAD) {
      return text(StatusCodes.METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    return switch (request.getUri().path()) {
      case "/metrics" ->
          HttpResponse.create()
              .withEntity(
                  HttpEntities.create(PROMETHEUS, ByteString.fromString(KamonSetup.scrapeData())));
      case "/ready" ->
          ready.getAsBoolean()
              ? text(StatusCodes.OK, "ready\n")
              : text(StatusCodes.SERVICE_UNAVAILABLE, "not ready\n");
      case "/live" -> text(StatusCodes.OK, "live\n");
      default -> text(StatusCodes.NOT_FOUND, "not found\n");
    };
  }

  private static HttpResponse text(StatusCode status, String body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, body));
  }
}
