package io.trellis.proxy.http;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpProtocol;
import org.apache.pekko.http.javadsl.model.HttpProtocols;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Host;

/**
 * The innermost stage: sends the request to the endpoint chosen upstream of it, in the protocol it
 * arrived in (HTTP/2 stays HTTP/2, so gRPC and its trailers pass through; HTTP/1.1 stays HTTP/1.1).
 * The entity is handed over as is: bodies stream through with backpressure both ways.
 */
public final class Forward implements HttpService {
  /** The javadsl has no constant for it; pekko uses one instance, so identity compares work. */
  static final HttpProtocol HTTP_2 =
      (HttpProtocol) org.apache.pekko.http.scaladsl.model.HttpProtocols.getForKey("HTTP/2.0").get();

  private final Upstreams upstreams;

  private Forward(Upstreams upstreams) {
    this.upstreams = upstreams;
  }

  public static HttpService to(Upstreams upstreams) {
    return new Forward(upstreams);
  }

  @Override
  public CompletionStage<HttpResponse> serve(HttpRequest request, Exchange exchange) {
    if (request.protocol() == HTTP_2) {
      // The HTTP/2 client takes :scheme, :authority and :path from the absolute URI the server
      // built, so the original authority reaches the endpoint.
      return upstreams.http2(exchange.endpoint()).send(request);
    }
    return upstreams.http1(exchange.endpoint()).send(originForm(request)).thenApply(Forward::asHttp11);
  }

  /**
   * An HTTP/1.0 upstream's response is answered as HTTP/1.1, as nginx and HAProxy do: the client
   * asked in HTTP/1.1 and its connection should stay persistent (the body is framed by the server
   * side anyway).
   */
  private static HttpResponse asHttp11(HttpResponse response) {
    return response.protocol() == HttpProtocols.HTTP_1_0
        ? response.withProtocol(HttpProtocols.HTTP_1_1)
        : response;
  }

  /**
   * A host pool sends origin-form request targets; the client's Host header is kept (and added from
   * the URI when an HTTP/1.0 client sent none) so the endpoint sees the authority asked for.
   */
  private static HttpRequest originForm(HttpRequest request) {
    var uri = request.getUri();
    HttpRequest relative = request.withUri(uri.toRelative());
    if (request.getHeader(Host.class).isPresent()) {
      return relative;
    }
    return relative.addHeader(Host.create(uri.host().address(), uri.port()));
  }
}
