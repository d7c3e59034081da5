package io.trellis.proxy;

import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ProxyPorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import io.trellis.config.TrafficSplit;
import io.trellis.config.WorkloadConfig;
import io.trellis.discovery.MeshUpdates;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A mesh the test builds and edits in code, published like a discovery source. Every workload gets
 * its own loopback address (127.77.x.y, a range these tests keep to themselves) and Linkerd's
 * ports, so tests never race for free ports.
 */
final class TestMesh implements MeshUpdates {
  static final String NAMESPACE = "demo";
  /**
   * Starts at a random /24 of the range: test JVMs of other worktrees on the same machine use the
   * same range, and would otherwise all start at 127.77.0.10.
   */
  private static final AtomicInteger NEXT_ADDRESS =
      new AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt(250) * 200);

  private final Map<String, ServiceConfig> services = new HashMap<>();
  private final Map<String, WorkloadConfig> workloads = new HashMap<>();
  private final Map<String, ServiceProfile> profiles = new HashMap<>();
  private final Map<String, TrafficSplit> splits = new HashMap<>();
  private final List<Consumer<MeshConfig>> listeners = new CopyOnWriteArrayList<>();
  private volatile MeshConfig current = new MeshConfig(NAMESPACE, Map.of(), Map.of());

  /** A loopback address no other test in this JVM uses. */
  static String nextAddress() {
    int n = NEXT_ADDRESS.getAndIncrement();
    return "127.77." + (n / 200) + "." + (n % 200 + 10);
  }

  synchronized TestMesh service(String name, int port, HostPort... unmeshed) {
    services.put(name, new ServiceConfig(name, port, List.of(unmeshed)));
    return publish();
  }

  /** A service built by the caller (e.g. with header routing or faults). */
  synchronized TestMesh service(ServiceConfig service) {
    services.put(service.name(), service);
    return publish();
  }

  /** Adds or replaces the TrafficSplit of its apex service. */
  synchronized TestMesh split(TrafficSplit split) {
    splits.put(split.service(), split);
    return publish();
  }

  /** A workload on a fresh address, its app on port 8080 there. */
  synchronized WorkloadConfig workload(String name, String... serves) {
    String address = nextAddress();
    WorkloadConfig w =
        new WorkloadConfig(
            name, address, 8080, List.of(serves), name, ProxyPorts.defaultsFor(address));
    workloads.put(name, w);
    publish();
    return w;
  }

  /** A workload built by the caller (e.g. with upstreams or another service account). */
  synchronized WorkloadConfig workload(WorkloadConfig w) {
    workloads.put(w.name(), w);
    publish();
    return w;
  }

  /** Adds or replaces the ServiceProfile of the service {@code profile} names. */
  synchronized TestMesh profile(ServiceProfile profile) {
    profiles.put(profile.name(), profile);
    return publish();
  }

  synchronized TestMesh remove(String workload) {
    workloads.remove(workload);
    return publish();
  }

  private TestMesh publish() {
    current =
        new MeshConfig(
            NAMESPACE, services, workloads, List.copyOf(profiles.values()),
            List.copyOf(splits.values()), null);
    listeners.forEach(l -> l.accept(current));
    return this;
  }

  @Override
  public MeshConfig current() {
    return current;
  }

  @Override
  public synchronized void subscribe(Consumer<MeshConfig> listener) {
    listeners.add(listener);
    listener.accept(current);
  }
}
