package io.trellis.config;

/** An authority resolved to a service of the mesh. */
public record ServiceRef(String namespace, String name, int port) {
  /** The fully qualified name, as Kubernetes DNS would spell it. */
  public String fqdn() {
    return name + "." + namespace + ".svc.cluster.local";
  }

  /** The canonical authority {@code name.namespace.svc.cluster.local:port}. */
  public String authority() {
    return fqdn() + ":" + port;
  }
}
