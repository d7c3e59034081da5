package io.trellis.config;

import java.util.List;

/**
 * A service: a name, the port clients call it on, and unmeshed endpoints listed by address.
 * Meshed endpoints are the workloads whose {@code serves} names this service; see
 * {@link MeshConfig#endpointsOf(String)}.
 */
public record ServiceConfig(String name, int port, List<HostPort> endpoints) {
  public ServiceConfig {
    endpoints = List.copyOf(endpoints);
  }
}
