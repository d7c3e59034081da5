package io.trellis.config;

/**
 * Where a workload's sidecar listens. By default every listener binds the workload's own
 * address with Linkerd's ports: outbound 4140, inbound 4143, admin 4191.
 */
public record ProxyPorts(HostPort outbound, HostPort inbound, HostPort admin) {
  public static final int DEFAULT_OUTBOUND = 4140;
  public static final int DEFAULT_INBOUND = 4143;
  public static final int DEFAULT_ADMIN = 4191;

  public static ProxyPorts defaultsFor(String address) {
    return new ProxyPorts(
        new HostPort(address, DEFAULT_OUTBOUND),
        new HostPort(address, DEFAULT_INBOUND),
        new HostPort(address, DEFAULT_ADMIN));
  }
}
