package io.trellis.config;

import java.util.List;

/**
 * A workload: its own loopback address (its "pod IP"), the port its app listens on there, the
 * services it serves, its service account (its identity), and where its sidecar listens.
 */
public record WorkloadConfig(
    String name,
    String address,
    int appPort,
    List<String> serves,
    String serviceAccount,
    ProxyPorts proxy) {
  public WorkloadConfig {
    serves = List.copyOf(serves);
  }

  /** Where the workload's app listens. */
  public HostPort app() {
    return new HostPort(address, appPort);
  }
}
