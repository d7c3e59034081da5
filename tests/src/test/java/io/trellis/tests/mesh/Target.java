package io.trellis.tests.mesh;

import java.net.URI;

/**
 * Where a client connects to call a service and the authority it names: through the mesh that
 * is its workload's outbound proxy with the service's name as Host / :authority.
 */
public record Target(String host, int port, String authority) {
  /** {@code http://host:port/path}: what a client dials (the authority goes in Host). */
  public URI uri(String pathAndQuery) {
    return URI.create("http://" + host + ":" + port + pathAndQuery);
  }

  /** {@code http://authority/path}: the URL a user would type; pair it with {@link #connectTo}. */
  public String serviceUrl(String pathAndQuery) {
    return "http://" + authority + pathAndQuery;
  }

  /** curl's {@code --connect-to} value sending {@link #serviceUrl} to this target. */
  public String connectTo() {
    return authority + ":80:" + host + ":" + port;
  }
}
