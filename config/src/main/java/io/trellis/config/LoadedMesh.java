package io.trellis.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A loaded mesh and every file it was read from, for a watcher that reloads on change.
 *
 * @param files mesh.conf, the files it includes, and each resource listed (a listed directory as
 *     well as the YAML files in it, so that a new file there is noticed); absolute, normalised,
 *     without duplicates
 */
public record LoadedMesh(MeshConfig mesh, List<Path> files) {
  public LoadedMesh {
    Objects.requireNonNull(mesh, "mesh");
    files = List.copyOf(files);
  }
}
