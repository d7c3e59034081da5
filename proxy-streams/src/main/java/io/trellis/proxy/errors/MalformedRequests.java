package io.trellis.proxy.errors;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * What the proxy's HTTP/1.1 servers answer to a request pekko-http could not parse; such requests
 * never reach the pipeline (and {@link Rescue}). Pekko answers too many headers with 400; the proxy
 * answers 431 like for an oversized header, as Linkerd and Envoy do. The connection is closed after
 * either. Nothing is logged: a client sending garbage must not fill the log.
 *
 * <p>Configured as {@code pekko.http.server.parsing.error-handler}; pekko creates one per
 * connection with the no-argument constructor.
 */
public final class MalformedRequests extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    String summary = error.summary();
    boolean tooManyHeaders =
        status.intValue() == 400
            && summary.contains("more than the configured limit")
            && summary.contains("headers");
    org.apache.pekko.http.javadsl.model.StatusCode answer =
        tooManyHeaders ? StatusCodes.REQUEST_HEADER_FIELDS_TOO_LARGE : status;
    return HttpResponse.create()
        .withStatus(answer)
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, summary + "\n"));
  }
}
