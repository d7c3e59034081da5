package io.trellis.config.internal;

import io.trellis.config.ServiceProfile;
import io.trellis.config.TrafficSplit;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** Reads the YAML resources mesh.conf lists and checks them against the mesh. */
public final class ResourceReader {
  /** Everything the resources declare. */
  public record Resources(List<ServiceProfile> profiles, List<TrafficSplit> splits) {}

  private ResourceReader() {}

  public static Resources readAll(HoconMeshReader.Mesh mesh) {
    List<ServiceProfile> profiles = new ArrayList<>();
    List<TrafficSplit> splits = new ArrayList<>();
    for (HoconMeshReader.Resource r : mesh.resources()) {
      if (!Files.isRegularFile(r.path())) {
        throw r.fail("no such file: " + r.path());
      }
    }
    return new Resources(profiles, splits);
  }
}
