package io.trellis.proxy.profile;

import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceRef;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Every service's {@link RouteTable}, compiled when a new mesh snapshot (and so possibly new
 * profiles) arrives, never per request: a request compares the current snapshot with the one the
 * tables were built from (one reference compare) and reads the table. A table whose profile did
 * not change is kept as is. Lock-free: two threads that see a new snapshot at once both compile
 * and one wins; both results are equal.
 */
public final class Profiles {
  private final Supplier<MeshConfig> mesh;
  private final Duration defaultTimeout;
  private final AtomicReference<Compiled> compiled = new AtomicReference<>();

  private record Compiled(MeshConfig mesh, Map<ServiceRef, RouteTable> tables) {}

  /**
   * @param mesh the current mesh snapshot (e.g. {@code MeshUpdates::current})
   * @param defaultTimeout the timeout of a profile route that sets none
   */
  public Profiles(Supplier<MeshConfig> mesh, Duration defaultTimeout) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.defaultTimeout = Objects.requireNonNull(defaultTimeout, "defaultTimeout");
  }

  /** The table of {@code service}; a service the current snapshot lacks has only [DEFAULT]. */
  public RouteTable table(ServiceRef service) {
    MeshConfig now = mesh.get();
    Compiled c = compiled.get();
    if (c == null || c.mesh() != now) {
      Compiled fresh = compile(now, c);
      compiled.compareAndSet(c, fresh);
      c = fresh;
    }
    RouteTable table = c.tables().get(service);
    return table != null ? table : RouteTable.compile(service, null, defaultTimeout);
  }

  private Compiled compile(MeshConfig now, Compiled previous) {
    Map<ServiceRef, RouteTable> tables = new HashMap<>();
    for (ServiceConfig s : now.services().values()) {
      ServiceRef ref = new ServiceRef(now.namespace(), s.name(), s.port());
      ServiceProfile profile = now.profileOf(s.name()).orElse(null);
      RouteTable old = previous != null ? previous.tables().get(ref) : null;
      tables.put(
          ref,
          old != null && Objects.equals(old.profile(), profile)
                  && old.faults().equals(s.faults())
              ? old
              : RouteTable.compile(ref, profile, s.faults(), defaultTimeout));
    }
    return new Compiled(now, Map.copyOf(tables));
  }
}
