package io.trellis.config;

import java.util.List;

/**
 * A service: a name, the port clients call it on, and unmeshed endpoints listed by address.
 * Meshed endpoints are the workloads whose {@code serves} names this service; see
 * {@link MeshConfig#endpointsOf(String)}.
 *
 * @param failureAccrual the service's own circuit-breaking settings, or null for the defaults
 */
public record ServiceConfig(
    String name, int port, List<HostPort> endpoints, FailureAccrual failureAccrual) {
  public ServiceConfig {
    endpoints = List.copyOf(endpoints);
  }

  /** A service with the proxy's default failure accrual. */
  public ServiceConfig(String name, int port, List<HostPort> endpoints) {
    this(name, port, endpoints, null);
  }
}
