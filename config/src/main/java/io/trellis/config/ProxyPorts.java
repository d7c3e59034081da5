package io.trellis.config;

/**
 * Where a workload's sidecar listens. By default every listener binds the workload's own
 * address with Linkerd's ports: outbound 4140, inbound 4143, admin 4191, tap 4190.
 */
public record ProxyPorts(HostPort outbound, HostPort inbound, HostPort admin, HostPort tap) {
  public static final int DEFAULT_OUTBOUND = 4140;
  public static final int DEFAULT_INBOUND = 4143;
  public static final int DEFAULT_ADMIN = 4191;
  public static final int DEFAULT_TAP = 4190;

  /** The three request listeners; tap on the admin listener's host, port 4190. */
  public ProxyPorts(HostPort outbound, HostPort inbound, HostPort admin) {
    this(outbound, inbound, admin, new HostPort(admin.host(), DEFAULT_TAP));
  }

  public static ProxyPorts defaultsFor(String address) {
    return new ProxyPorts(
        new HostPort(address, DEFAULT_OUTBOUND),
        new HostPort(address, DEFAULT_INBOUND),
        new HostPort(address, DEFAULT_ADMIN),
        new HostPort(address, DEFAULT_TAP));
  }
}
