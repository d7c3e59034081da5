package io.trellis.proxy.balance;

import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.discovery.MeshUpdates;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A discovery source the test edits by hand. Listeners are called in order, one at a time. */
final class MutableMeshUpdates implements MeshUpdates {
  static final String NAMESPACE = "demo";

  private final List<Consumer<MeshConfig>> listeners = new ArrayList<>();
  private MeshConfig current = mesh(Map.of());

  /** A mesh of unmeshed services on port 80, each with the listed endpoint addresses. */
  static MeshConfig mesh(Map<String, List<HostPort>> services) {
    Map<String, ServiceConfig> configs = new java.util.HashMap<>();
    services.forEach((name, addresses) -> configs.put(name, new ServiceConfig(name, 80, addresses)));
    return new MeshConfig(NAMESPACE, configs, Map.of());
  }

  static List<HostPort> addresses(String... hosts) {
    return Arrays.stream(hosts).map(h -> new HostPort(h, 8080)).toList();
  }

  @Override
  public synchronized MeshConfig current() {
    return current;
  }

  @Override
  public synchronized void subscribe(Consumer<MeshConfig> listener) {
    listeners.add(listener);
    listener.accept(current);
  }

  synchronized void publish(MeshConfig mesh) {
    current = mesh;
    listeners.forEach(l -> l.accept(mesh));
  }
}
