package io.trellis.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service: a name, the port clients call it on, unmeshed endpoints listed by address, and the
 * ports that are opaque (no protocol detection; default {@link OpaquePorts#DEFAULT}).
 * Meshed endpoints are the workloads whose {@code serves} names this service; see
 * {@link MeshConfig#endpointsOf(String)}.
 *
 * @param opaquePorts ports whose connections skip protocol detection
 * @param failureAccrual the service's own circuit-breaking settings, or null for the defaults
 * @param routing header routing rules, tried in order before the service's traffic split
 * @param faults fault injection by route name ({@code rt_route}, {@code [DEFAULT]} included);
 *     overrides a profile route's {@code x-trellis-fault}
 */
public record ServiceConfig(
    String name,
    int port,
    List<HostPort> endpoints,
    Set<Integer> opaquePorts,
    FailureAccrual failureAccrual,
    List<HeaderRoute> routing,
    Map<String, Fault> faults) {
  public ServiceConfig {
    endpoints = List.copyOf(endpoints);
    opaquePorts = Set.copyOf(opaquePorts);
    routing = List.copyOf(routing);
    faults = Map.copyOf(faults);
  }

  /** A service without header routing or faults. */
  public ServiceConfig(
      String name,
      int port,
      List<HostPort> endpoints,
      Set<Integer> opaquePorts,
      FailureAccrual failureAccrual) {
    this(name, port, endpoints, opaquePorts, failureAccrual, List.of(), Map.of());
  }

  /** A service with the default opaque ports and the proxy's default failure accrual. */
  public ServiceConfig(String name, int port, List<HostPort> endpoints) {
    this(name, port, endpoints, OpaquePorts.DEFAULT, null);
  }

  /** A service with these opaque ports and the proxy's default failure accrual. */
  public ServiceConfig(
      String name, int port, List<HostPort> endpoints, Set<Integer> opaquePorts) {
    this(name, port, endpoints, opaquePorts, null);
  }

  /** A service with the default opaque ports and its own failure accrual. */
  public ServiceConfig(
      String name, int port, List<HostPort> endpoints, FailureAccrual failureAccrual) {
    this(name, port, endpoints, OpaquePorts.DEFAULT, failureAccrual);
  }

  /** Whether the service's port is opaque: its endpoints' connections skip detection. */
  public boolean opaque() {
    return opaquePorts.contains(port);
  }
}
