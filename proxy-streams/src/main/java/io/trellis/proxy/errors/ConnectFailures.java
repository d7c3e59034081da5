package io.trellis.proxy.errors;

import io.trellis.config.HostPort;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns what the pekko-http client fails with into a {@link ProxyError} naming the endpoint.
 *
 * <p>Pekko's TCP layer reports both a refused connection and a connect timeout as a {@code
 * StreamTcpException} whose message embeds the {@link ConnectException} text ("Connection refused",
 * "Connect timeout of ... expired") without keeping it as the cause, so the text is all there is to
 * go by.
 */
public final class ConnectFailures {
  private ConnectFailures() {}

  public static ProxyError classify(Throwable failure, HostPort endpoint, Duration connectTimeout) {
    Throwable t = unwrap(failure);
    if (t instanceof ProxyError e) {
      return e;
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof javax.net.ssl.SSLException) {
        // mTLS refused, e.g. "the server is X, expected Y": the innermost reason says why
        return ProxyError.endpointIo(endpoint, "TLS handshake failed: " + innermost(c), t);
      }
      String message = c.getMessage();
      if (message == null) {
        continue;
      }
      if (message.contains("Connection refused")) {
        return ProxyError.connectRefused(endpoint, t);
      }
      if (message.contains("Connect timeout") || message.contains("connect timed out")) {
        return ProxyError.connectTimeout(endpoint, connectTimeout, t);
      }
    }
    String detail = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return ProxyError.endpointIo(endpoint, detail, t);
  }

  private static String innermost(Throwable t) {
    String message = t.getMessage();
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        message = c.getMessage();
      }
    }
    return message == null ? t.getClass().getSimpleName() : message;
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
