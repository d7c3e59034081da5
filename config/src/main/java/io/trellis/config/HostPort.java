package io.trellis.config;

import io.trellis.config.internal.Addresses;
import java.util.Objects;

/** A host (name or IP literal, no brackets) and a TCP port. */
public record HostPort(String host, int port) {
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1..65535");
    }
  }

  /**
   * Parses {@code host:port} or {@code [ipv6]:port} (a host name or an IP literal), as command
   * options and settings take an address.
   *
   * @throws IllegalArgumentException with a message that says what is wrong with {@code text}
   */
  public static HostPort parse(String text) {
    return Addresses.hostPort(text.strip(), true);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
