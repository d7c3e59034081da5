package io.trellis.proxy.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Drops headers that describe one connection rather than the message (RFC 9110 section 7.6.1), from
 * requests on the way in and from responses on the way back: Connection and every header it names,
 * Keep-Alive, Proxy-Connection, Upgrade, and TE unless it is exactly {@code trailers} (which gRPC
 * requires end to end). Transfer-Encoding never appears as a header here: pekko-http models it as
 * the entity's framing and re-frames on each hop.
 *
 * <p>Most messages carry none of these; then the message is passed on untouched, without
 * allocating.
 */
public final class HopByHop {
  private HopByHop() {}

  public static HttpService.Layer strip() {
    return next ->
        (request, exchange) -> next.serve(strip(request), exchange).thenApply(HopByHop::strip);
  }

  static HttpRequest strip(HttpRequest request) {
    Iterable<HttpHeader> headers = request.getHeaders();
    if (!hasHopByHop(headers)) {
      return request;
    }
    return request.withHeaders(endToEnd(headers));
  }

  static HttpResponse strip(HttpResponse response) {
    Iterable<HttpHeader> headers = response.getHeaders();
    if (!hasHopByHop(headers)) {
      return response;
    }
    return response.withHeaders(endToEnd(headers));
  }

  private static boolean hasHopByHop(Iterable<HttpHeader> headers) {
    for (HttpHeader h : headers) {
      if (isHopByHop(h)) {
        return true;
      }
    }
    return false;
  }

  private static List<HttpHeader> endToEnd(Iterable<HttpHeader> headers) {
    List<String> named = new ArrayList<>();
    for (HttpHeader h : headers) {
      if (h.is("connection")) {
        for (String token : h.value().split(",")) {
          named.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    List<HttpHeader> kept = new ArrayList<>();
    for (HttpHeader h : headers) {
      if (!isHopByHop(h) && !named.contains(h.lowercaseName())) {
        kept.add(h);
      }
    }
    return kept;
  }

  // Only TE's value is read: rendering a modeled header's value allocates.
  private static boolean isHopByHop(HttpHeader h) {
    switch (h.lowercaseName()) {
      case "connection":
      case "keep-alive":
      case "proxy-connection":
      case "upgrade":
      case "transfer-encoding":
        return true;
      case "te":
        return !h.value().trim().equalsIgnoreCase("trailers");
      default:
        return false;
    }
  }
}
