package io.trellis.proxy.split;

import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Every service's {@link BackendTable}, compiled when a new mesh snapshot arrives, never per
 * request: a request compares the current snapshot with the one the tables were built from (one
 * reference compare) and reads its table. So new weights apply from the next snapshot on, while
 * requests already given a backend keep it. Lock-free, as {@code profile.Profiles}.
 */
public final class Backends {
  private final Supplier<MeshConfig> mesh;
  private final AtomicReference<Compiled> compiled = new AtomicReference<>();

  private record Compiled(MeshConfig mesh, Map<ServiceRef, BackendTable> tables) {}

  /** @param mesh the current mesh snapshot (e.g. {@code MeshUpdates::current}) */
  public Backends(Supplier<MeshConfig> mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  /** The table of {@code service}, or null when it has no header rules and no split. */
  public BackendTable table(ServiceRef service) {
    MeshConfig now = mesh.get();
    Compiled c = compiled.get();
    if (c == null || c.mesh() != now) {
      Compiled fresh = compile(now);
      compiled.compareAndSet(c, fresh);
      c = fresh;
    }
    return c.tables().get(service);
  }

  private static Compiled compile(MeshConfig now) {
    Map<ServiceRef, BackendTable> tables = new HashMap<>();
    for (ServiceConfig s : now.services().values()) {
      ServiceRef ref = new ServiceRef(now.namespace(), s.name(), s.port());
      BackendTable table = BackendTable.compile(now, ref);
      if (table != null) {
        tables.put(ref, table);
      }
    }
    return new Compiled(now, Map.copyOf(tables));
  }
}
