package io.trellis.config;

/**
 * One address that serves a service. A meshed endpoint is a workload's inbound proxy and carries
 * the workload's name; an unmeshed endpoint is an address listed under the service.
 *
 * @param workload the serving workload's name, or null when unmeshed
 */
public record Endpoint(HostPort address, String workload, String serviceAccount) {
  public boolean meshed() {
    return workload != null;
  }
}
