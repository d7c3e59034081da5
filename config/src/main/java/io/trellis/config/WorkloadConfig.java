package io.trellis.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workload: its own loopback address (its "pod IP"), the port its app listens on there, the
 * services it serves, its service account (its identity), where its sidecar listens, which ports
 * are opaque (no protocol detection), and its upstream listeners.
 *
 * @param opaquePorts ports that skip protocol detection: the inbound listener forwards plaintext
 *     connections as opaque TCP when the app port is one of them
 * @param upstreams service name to the port its proxy listens on at the workload's address for
 *     opaque TCP to that service (as Consul Connect's upstreams)
 */
public record WorkloadConfig(
    String name,
    String address,
    int appPort,
    List<String> serves,
    String serviceAccount,
    ProxyPorts proxy,
    Set<Integer> opaquePorts,
    Map<String, Integer> upstreams) {
  public WorkloadConfig {
    serves = List.copyOf(serves);
    opaquePorts = Set.copyOf(opaquePorts);
    upstreams = Map.copyOf(upstreams);
  }

  /** A workload with the default opaque ports and no upstream listeners. */
  public WorkloadConfig(
      String name,
      String address,
      int appPort,
      List<String> serves,
      String serviceAccount,
      ProxyPorts proxy) {
    this(name, address, appPort, serves, serviceAccount, proxy, OpaquePorts.DEFAULT, Map.of());
  }

  /** Where the workload's app listens. */
  public HostPort app() {
    return new HostPort(address, appPort);
  }
}
