package io.trellis.config;

import java.util.List;
import java.util.Objects;

/**
 * A TrafficSplit (split.smi-spec.io v1alpha1 or v1alpha2): requests to the apex {@code service} go
 * to its backends in proportion to their weights.
 */
public record TrafficSplit(String name, String namespace, String service, List<Backend> backends) {
  public TrafficSplit {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(service, "service");
    backends = List.copyOf(backends);
  }

  /** The sum of the weights; zero means every request stays on the apex's own endpoints. */
  public long totalWeightMilli() {
    return backends.stream().mapToLong(Backend::weightMilli).sum();
  }

  /**
   * A backend service and its weight. v1alpha1 weights are Kubernetes quantities ("900m", "1"),
   * v1alpha2 weights are integers; both are normalised to thousandths so that they compare.
   */
  public record Backend(String service, long weightMilli) {
    public Backend {
      Objects.requireNonNull(service, "service");
      if (weightMilli < 0) {
        throw new IllegalArgumentException("weight " + weightMilli + "m is negative");
      }
    }
  }
}
