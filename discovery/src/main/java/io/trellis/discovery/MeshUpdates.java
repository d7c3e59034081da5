package io.trellis.discovery;

import io.trellis.config.MeshConfig;
import java.util.function.Consumer;

/**
 * A stream of mesh snapshots from one discovery source. Listeners are called (on the source's own
 * thread, never concurrently) with every new valid snapshot; an invalid change is reported by the
 * source and the last valid snapshot stays in force.
 */
public interface MeshUpdates {
  /** The last valid snapshot. */
  MeshConfig current();

  /** Registers a listener; it is called with {@link #current()} at once and then on changes. */
  void subscribe(Consumer<MeshConfig> listener);
}
