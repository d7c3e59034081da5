package io.trellis.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The whole mesh as {@code mesh.conf} describes it. Immutable; a reload builds a new one.
 *
 * @param profiles ServiceProfiles (linkerd.io/v1alpha2) from the resources mesh.conf lists
 * @param splits TrafficSplits (split.smi-spec.io) from the resources mesh.conf lists
 * @param source the file it was read from (null when built in code)
 */
public record MeshConfig(
    String namespace,
    Map<String, ServiceConfig> services,
    Map<String, WorkloadConfig> workloads,
    List<ServiceProfile> profiles,
    List<TrafficSplit> splits,
    Path source) {

  private static final String CLUSTER_SUFFIX = ".svc.cluster.local";

  public MeshConfig {
    services = Map.copyOf(services);
    workloads = Map.copyOf(workloads);
    profiles = List.copyOf(profiles);
    splits = List.copyOf(splits);
  }

  /** A mesh with no profiles or splits, built in code. */
  public MeshConfig(
      String namespace, Map<String, ServiceConfig> services, Map<String, WorkloadConfig> workloads) {
    this(namespace, services, workloads, List.of(), List.of(), null);
  }

  /**
   * Resolves an authority ({@code web-svc}, {@code web-svc:80}, {@code web-svc.demo},
   * {@code web-svc.demo.svc.cluster.local[:80]}) to a service of this mesh. A port that is not
   * the service's port, another namespace, or an unknown name resolves to nothing: the caller
   * treats such an authority as egress.
   *
   * @param defaultPort the port implied when the authority has none (80 for http)
   */
  public Optional<ServiceRef> resolve(String authority, int defaultPort) {
    if (authority == null || authority.isEmpty()) {
      return Optional.empty();
    }
    String host = authority;
    int port = defaultPort;
    int colon = authority.lastIndexOf(':');
    if (colon > 0 && authority.indexOf(']') < colon && authority.indexOf(':') == colon) {
      host = authority.substring(0, colon);
      try {
        port = Integer.parseInt(authority.substring(colon + 1));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.endsWith(CLUSTER_SUFFIX)) {
      host = host.substring(0, host.length() - CLUSTER_SUFFIX.length());
    }
    String name = host;
    int dot = host.indexOf('.');
    if (dot >= 0) {
      name = host.substring(0, dot);
      String ns = host.substring(dot + 1);
      if (!ns.equals(namespace)) {
        return Optional.empty();
      }
    }
    ServiceConfig service = services.get(name);
    if (service == null || service.port() != port) {
      return Optional.empty();
    }
    return Optional.of(new ServiceRef(namespace, name, port));
  }

  /** The ServiceProfile of a service of this mesh, by service name ({@code web-svc}). */
  public Optional<ServiceProfile> profileOf(String service) {
    String fqdn = service + "." + namespace + CLUSTER_SUFFIX;
    return profiles.stream().filter(p -> p.name().equals(fqdn)).findFirst();
  }

  /**
   * Whether a workload's inbound skips protocol detection for plaintext connections: its app
   * port is one of its opaque ports, or it serves a service whose port is opaque.
   */
  public boolean inboundOpaque(WorkloadConfig workload) {
    if (workload.opaquePorts().contains(workload.appPort())) {
      return true;
    }
    return workload.serves().stream()
        .map(services::get)
        .anyMatch(s -> s != null && s.opaque());
  }

  /** The TrafficSplit whose apex is {@code service}, if any. */
  public Optional<TrafficSplit> splitOf(String service) {
    return splits.stream().filter(s -> s.service().equals(service)).findFirst();
  }

  /**
   * Every endpoint of a service: the inbound proxies of the workloads that serve it (sorted by
   * workload name), then its unmeshed addresses in the order listed.
   */
  public List<Endpoint> endpointsOf(String service) {
    List<Endpoint> out = new ArrayList<>();
    workloads.values().stream()
        .filter(w -> w.serves().contains(service))
        .sorted((a, b) -> a.name().compareTo(b.name()))
        .forEach(w -> out.add(new Endpoint(w.proxy().inbound(), w.name(), w.serviceAccount())));
    ServiceConfig s = services.get(service);
    if (s != null) {
      s.endpoints().forEach(a -> out.add(new Endpoint(a, null, null)));
    }
    return List.copyOf(out);
  }
}
