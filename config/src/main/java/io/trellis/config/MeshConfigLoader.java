package io.trellis.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.trellis.config.internal.HoconMeshReader;
import io.trellis.config.internal.ResourceReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Loads a mesh: {@code mesh.conf} (HOCON) and the ServiceProfile and TrafficSplit YAML files its
 * {@code trellis.mesh.resources} lists. The first problem found fails the load with a {@link
 * MeshConfigException} naming file, line and key path; nothing is silently dropped.
 *
 * <p>Substitutions inside the file are resolved, but system properties never override the mesh
 * (unlike {@code ConfigFactory.load}): what the file says is what runs.
 */
public final class MeshConfigLoader {
  private MeshConfigLoader() {}

  /** Reads and validates {@code file} and every resource it lists. */
  public static MeshConfig load(Path file) throws MeshConfigException {
    return loadWithFiles(file).mesh();
  }

  /**
   * Like {@link #load}, and also says which files the mesh came from, so that a watcher knows what
   * to watch. When a load fails, {@link MeshConfigException#file()} names the file at fault: watch
   * it too, so that fixing it triggers a reload.
   */
  public static LoadedMesh loadWithFiles(Path file) throws MeshConfigException {
    if (!Files.isRegularFile(file)) {
      throw new MeshConfigException(
          file, -1, "", Files.exists(file) ? "not a regular file" : "no such file");
    }
    HoconMeshReader reader = new HoconMeshReader(file);
    Config config;
    try {
      config = ConfigFactory.parseFile(file.toFile(), options(file)).resolve();
    } catch (ConfigException e) {
      throw reader.syntax(e);
    }
    Set<Path> files = new LinkedHashSet<>();
    files.add(file.toAbsolutePath().normalize());
    files.addAll(HoconMeshReader.filesOf(config));
    MeshConfig mesh = build(file, reader, config, files);
    return new LoadedMesh(mesh, List.copyOf(files));
  }

  /**
   * Reads mesh.conf from text, for tests and tools. {@code origin} names the file in messages and
   * anchors relative resource paths; it need not exist.
   */
  public static MeshConfig parse(String text, Path origin) throws MeshConfigException {
    HoconMeshReader reader = new HoconMeshReader(origin);
    Config config;
    try {
      config =
          ConfigFactory.parseString(text, options(origin).setOriginDescription(origin.toString()))
              .resolve();
    } catch (ConfigException e) {
      throw reader.syntax(e);
    }
    return build(origin, reader, config, new LinkedHashSet<>());
  }

  /**
   * Reads ServiceProfiles and TrafficSplits that mesh.conf does not list ({@code trellis apply}):
   * YAML text, one or more documents, checked against {@code mesh} exactly as listed resources
   * are. {@code origin} names the text in messages ({@code web-sp.yaml:7: spec.routes[0]...}).
   */
  public static List<ResourceDocument> parseResources(String text, Path origin, MeshConfig mesh)
      throws MeshConfigException {
    HoconMeshReader.Mesh m =
        new HoconMeshReader.Mesh(mesh.namespace(), mesh.services(), mesh.workloads(), List.of());
    return ResourceReader.readText(m, origin, text).documents();
  }

  /** The documents of the resources {@code file} (a mesh.conf) lists, with their text. */
  public static List<ResourceDocument> resourceDocuments(Path file) throws MeshConfigException {
    HoconMeshReader reader = new HoconMeshReader(file);
    Config config;
    try {
      config = ConfigFactory.parseFile(file.toFile(), options(file)).resolve();
    } catch (ConfigException e) {
      throw reader.syntax(e);
    }
    return ResourceReader.readAll(reader.read(config)).documents();
  }

  private static ConfigParseOptions options(Path file) {
    String name = file.getFileName().toString();
    ConfigSyntax syntax =
        name.endsWith(".json")
            ? ConfigSyntax.JSON
            : name.endsWith(".properties") ? ConfigSyntax.PROPERTIES : ConfigSyntax.CONF;
    return ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(syntax);
  }

  private static MeshConfig build(
      Path file, HoconMeshReader reader, Config config, Set<Path> files) {
    HoconMeshReader.Mesh mesh = reader.read(config);
    ResourceReader.Resources resources = ResourceReader.readAll(mesh);
    files.addAll(resources.files());
    return new MeshConfig(
        mesh.namespace(),
        mesh.services(),
        mesh.workloads(),
        resources.profiles(),
        resources.splits(),
        file);
  }
}
