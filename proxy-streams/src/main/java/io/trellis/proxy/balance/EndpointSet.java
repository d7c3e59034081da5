package io.trellis.proxy.balance;

import java.util.List;

/** An immutable snapshot of a service's endpoints, in the order the owning actor published. */
public record EndpointSet(List<EndpointHandle> endpoints) {
  public static final EndpointSet EMPTY = new EndpointSet(List.of());

  public EndpointSet {
    endpoints = List.copyOf(endpoints);
  }

  public boolean isEmpty() {
    return endpoints.isEmpty();
  }
}
