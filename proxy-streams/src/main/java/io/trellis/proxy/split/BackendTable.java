package io.trellis.proxy.split;

import io.trellis.config.HeaderRoute;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import io.trellis.config.TrafficSplit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Where a logical service's requests go (Linkerd's logical to concrete step), compiled once per
 * mesh snapshot; requests only read it. Header rules are tried first, in order; a request no rule
 * matched draws a backend by weight from the service's TrafficSplit (cumulative weights in
 * thousandths, one random draw, a binary search). Backends with weight zero are never drawn; a
 * split whose weights are all zero (or whose backends are all unknown to the snapshot) keeps every
 * request on the apex, as if there were no split.
 */
public final class BackendTable {
  private final ServiceRef apex;
  private final List<Rule> rules;
  private final ServiceRef[] backends;
  private final long[] cumulative;

  private record Rule(HeaderRoute route, ServiceRef backend) {}

  private BackendTable(
      ServiceRef apex, List<Rule> rules, ServiceRef[] backends, long[] cumulative) {
    this.apex = apex;
    this.rules = List.copyOf(rules);
    this.backends = backends;
    this.cumulative = cumulative;
  }

  /**
   * The table of {@code apex} in {@code mesh}, or null when it has neither header rules nor a split
   * (the request then stays on the apex without a draw).
   */
  public static BackendTable compile(MeshConfig mesh, ServiceRef apex) {
    ServiceConfig service = mesh.services().get(apex.name());
    List<HeaderRoute> routing = service != null ? service.routing() : List.of();
    TrafficSplit split = mesh.splitOf(apex.name()).orElse(null);
    if (routing.isEmpty() && split == null) {
      return null;
    }
    List<Rule> rules = new ArrayList<>();
    for (HeaderRoute r : routing) {
      ServiceRef backend = ref(mesh, apex, r.backend());
      if (backend != null) {
        rules.add(new Rule(r, backend));
      }
    }
    List<ServiceRef> backends = new ArrayList<>();
    List<Long> sums = new ArrayList<>();
    long total = 0;
    if (split != null) {
      for (TrafficSplit.Backend b : split.backends()) {
        ServiceRef backend = ref(mesh, apex, b.service());
        if (backend == null || b.weightMilli() == 0) {
          continue;
        }
        total += b.weightMilli();
        backends.add(backend);
        sums.add(total);
      }
    }
    long[] cumulative = sums.stream().mapToLong(Long::longValue).toArray();
    return new BackendTable(apex, rules, backends.toArray(ServiceRef[]::new), cumulative);
  }

  /** The backend's ref: the apex itself, a service of the mesh, or null when the mesh lacks it. */
  private static ServiceRef ref(MeshConfig mesh, ServiceRef apex, String name) {
    if (name.equals(apex.name())) {
      return apex;
    }
    ServiceConfig s = mesh.services().get(name);
    return s != null ? new ServiceRef(mesh.namespace(), name, s.port()) : null;
  }

  /**
   * The backend of one request.
   *
   * @param header a request header's value by lower-case name, or null when absent
   * @param random the source of the weighted draw (a thread's own in the proxy; seeded in tests)
   */
  public ServiceRef pick(Function<String, String> header, RandomGenerator random) {
    for (Rule r : rules) {
      if (r.route().matches(header)) {
        return r.backend();
      }
    }
    return weighted(random);
  }

  /** A backend drawn by weight alone. */
  public ServiceRef weighted(RandomGenerator random) {
    int n = backends.length;
    if (n == 0) {
      return apex;
    }
    if (n == 1) {
      return backends[0];
    }
    long draw = random.nextLong(cumulative[n - 1]);
    // The first backend whose cumulative weight exceeds the draw.
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] > draw) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return backends[lo];
  }
}
