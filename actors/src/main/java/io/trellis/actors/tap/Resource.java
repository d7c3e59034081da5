package io.trellis.actors.tap;

import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A resource as a Linkerd user writes it: {@code deploy/web} (one workload), {@code deploy} (every
 * workload of the namespace), {@code svc/web-svc} (the workloads that serve it). Workloads are
 * Trellis' deployments. {@code deployment(s)}, {@code service(s)}, {@code po}/{@code pod} are
 * accepted as in kubectl.
 */
public record Resource(Kind kind, String name) {
  public enum Kind {
    DEPLOY,
    SVC
  }

  /** A resource the user wrote, or an IllegalArgumentException saying what is wrong. */
  public static Resource parse(String text, String flag) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(flag + ": a resource is required (deploy/NAME, deploy, svc/NAME)");
    }
    String t = text.trim();
    int slash = t.indexOf('/');
    String type = (slash < 0 ? t : t.substring(0, slash)).toLowerCase(Locale.ROOT);
    String name = slash < 0 ? "" : t.substring(slash + 1);
    if (slash >= 0 && name.isEmpty()) {
      throw new IllegalArgumentException(flag + " " + text + ": no name after '/'");
    }
    Kind kind =
        switch (type) {
          case "deploy", "deployment", "deployments", "po", "pod", "pods" -> Kind.DEPLOY;
          case "svc", "service", "services" -> Kind.SVC;
          default -> throw new IllegalArgumentException(
              flag + " " + text + ": unknown resource type '" + type
                  + "' (deploy/NAME, deploy, svc/NAME)");
        };
    if (kind == Kind.SVC && name.isEmpty()) {
      throw new IllegalArgumentException(flag + " " + text + ": svc needs a name (svc/NAME)");
    }
    return new Resource(kind, name);
  }

  /** The workloads this resource stands for, by name; an unknown name is an error. */
  public List<WorkloadConfig> workloads(MeshConfig mesh) {
    List<WorkloadConfig> all =
        mesh.workloads().values().stream()
            .sorted(Comparator.comparing(WorkloadConfig::name))
            .toList();
    if (kind == Kind.DEPLOY) {
      if (name.isEmpty()) {
        return all;
      }
      WorkloadConfig w = mesh.workloads().get(name);
      if (w == null) {
        throw new IllegalArgumentException(
            "deploy/" + name + ": no such workload in namespace " + mesh.namespace()
                + " (workloads: " + String.join(", ", all.stream().map(WorkloadConfig::name).toList()) + ")");
      }
      return List.of(w);
    }
    if (!mesh.services().containsKey(name)) {
      throw new IllegalArgumentException(
          "svc/" + name + ": no such service in namespace " + mesh.namespace());
    }
    return all.stream().filter(w -> w.serves().contains(name)).toList();
  }

  @Override
  public String toString() {
    return (kind == Kind.DEPLOY ? "deploy" : "svc") + (name.isEmpty() ? "" : "/" + name);
  }
}
