package io.trellis.tests.mesh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The mesh a test wants, before addresses are known: services and workloads by name. Workload
 * addresses come from the class's {@link LoopbackBlock} (host numbers 1, 2, ... in the order
 * added); unmeshed endpoints are functions of the block's spare addresses (those after the
 * workloads: spare 1, 2, ...) for the same reason. Immutable: an edit
 * for a reload test returns a new spec.
 */
public final class MeshSpec {
  public static final String NAMESPACE = "e2e";
  public static final int APP_PORT = 8080;

  /** A service; {@code endpoints} maps spare address numbers to unmeshed "ip:port" endpoints. */
  public record Service(String name, int port, Function<IntFunction<String>, List<String>> endpoints) {}

  /** A workload on host number {@code host} of the block; {@code app} says whether a backend runs. */
  public record Workload(String name, int host, List<String> serves, boolean app) {}

  private final Map<String, Service> services;
  private final Map<String, Workload> workloads;
  private final Map<String, String> resources;

  private MeshSpec(
      Map<String, Service> services, Map<String, Workload> workloads, Map<String, String> resources) {
    this.services = services;
    this.workloads = workloads;
    this.resources = resources;
  }

  public static MeshSpec empty() {
    return new MeshSpec(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
  }

  /**
   * A YAML resource (ServiceProfile, TrafficSplit) written beside mesh.conf as {@code file} and
   * listed in its {@code resources}.
   */
  public MeshSpec resource(String file, String yaml) {
    MeshSpec next = copy();
    next.resources.put(file, yaml);
    return next;
  }

  /** The YAML resources by file name, relative to mesh.conf's directory. */
  public Map<String, String> resources() {
    return Map.copyOf(resources);
  }

  public MeshSpec service(String name) {
    return service(name, b -> List.of());
  }

  public MeshSpec service(String name, Function<IntFunction<String>, List<String>> endpoints) {
    MeshSpec next = copy();
    next.services.put(name, new Service(name, 80, endpoints));
    return next;
  }

  /** A workload whose sidecar runs with no app behind it (a pure client). */
  public MeshSpec client(String name) {
    return workload(name, List.of(), false);
  }

  /** A workload that serves {@code services} with the test backend as its app. */
  public MeshSpec server(String name, String... services) {
    return workload(name, List.of(services), true);
  }

  /** The same mesh with {@code workload} serving exactly {@code services}. */
  public MeshSpec withServes(String workload, String... services) {
    Workload w = workload(workload);
    MeshSpec next = copy();
    next.workloads.put(workload, new Workload(w.name(), w.host(), List.of(services), w.app()));
    return next;
  }

  public Workload workload(String name) {
    Workload w = workloads.get(name);
    if (w == null) {
      throw new IllegalArgumentException("no workload " + name + " in " + workloads.keySet());
    }
    return w;
  }

  public List<Workload> workloads() {
    return List.copyOf(workloads.values());
  }

  /** The first workload that serves {@code service}, as the spec lists them. */
  public Workload firstServerOf(String service) {
    return workloads.values().stream()
        .filter(w -> w.serves().contains(service))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no workload serves " + service));
  }

  /** Spare address {@code n} (1, 2, ...): the block's addresses after the workloads'. */
  public String spareAddress(LoopbackBlock block, int n) {
    return block.address(workloads.size() + n);
  }

  /** mesh.conf text for this spec on {@code block}. */
  public String render(LoopbackBlock block) {
    StringBuilder out = new StringBuilder();
    out.append("# Written by the e2e harness (io.trellis.tests.mesh.MeshSpec).\n");
    out.append("trellis.mesh {\n");
    out.append("  namespace = ").append(NAMESPACE).append('\n');
    if (!resources.isEmpty()) {
      out.append("  resources = ").append(quoted(List.copyOf(resources.keySet()))).append('\n');
    }
    out.append("  services {\n");
    for (Service s : services.values()) {
      out.append("    ").append(s.name()).append(" { port = ").append(s.port());
      List<String> endpoints = s.endpoints().apply(n -> spareAddress(block, n));
      if (!endpoints.isEmpty()) {
        out.append(", endpoints = ").append(quoted(endpoints));
      }
      out.append(" }\n");
    }
    out.append("  }\n");
    out.append("  workloads {\n");
    for (Workload w : workloads.values()) {
      out.append("    ").append(w.name()).append(" {\n");
      out.append("      address = \"").append(block.address(w.host())).append("\"\n");
      out.append("      app-port = ").append(APP_PORT).append('\n');
      out.append("      serves = ").append(quoted(w.serves())).append('\n');
      out.append("      service-account = ").append(w.name()).append('\n');
      out.append("    }\n");
    }
    out.append("  }\n");
    out.append("}\n");
    return out.toString();
  }

  private static String quoted(List<String> values) {
    List<String> q = new ArrayList<>();
    values.forEach(v -> q.add('"' + v + '"'));
    return "[" + String.join(", ", q) + "]";
  }

  private MeshSpec copy() {
    return new MeshSpec(
        new LinkedHashMap<>(services), new LinkedHashMap<>(workloads), new LinkedHashMap<>(resources));
  }

  /** Adds a workload on the next free host number. */
  private MeshSpec workload(String name, List<String> serves, boolean app) {
    if (workloads.containsKey(name)) {
      throw new IllegalArgumentException("workload " + name + " added twice");
    }
    MeshSpec next = copy();
    next.workloads.put(name, new Workload(name, workloads.size() + 1, serves, app));
    return next;
  }
}
