package io.trellis.proxy.metrics;

/**
 * The proxy's own identity on every series it exports: {@code namespace}, {@code deployment} (the
 * workload's name) and {@code pod} (the workload's name and this process' id). On Kubernetes,
 * Prometheus adds these labels from the scraped pod; a mesh.conf mesh has no such relabelling, so
 * the proxy carries them itself and Linkerd's queries ({@code response_total{deployment="web"}})
 * work unchanged.
 *
 * <p>They are Kamon environment tags ({@link KamonSetup}), so every instrument's series carries
 * them without each one adding them.
 */
public record WorkloadLabels(String namespace, String deployment, String pod) {

  /** The labels of {@code workload} in {@code namespace}, run by this process. */
  public static WorkloadLabels of(String namespace, String workload) {
    return new WorkloadLabels(namespace, workload, workload + "-" + ProcessHandle.current().pid());
  }
}
