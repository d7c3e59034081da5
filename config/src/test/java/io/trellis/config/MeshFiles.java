package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes mesh.conf and resource files into a test's temporary directory. */
final class MeshFiles {
  private final Path dir;

  MeshFiles(Path dir) {
    this.dir = dir;
  }

  /** Writes {@code text} to {@code name} under the directory and returns its path. */
  Path write(String name, String text) {
    Path file = dir.resolve(name);
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  MeshConfig load(String meshConf) {
    return MeshConfigLoader.load(write("mesh.conf", meshConf));
  }

  /** Loads a mesh.conf that must fail, and returns the failure. */
  MeshConfigException fail(String meshConf) {
    Path file = write("mesh.conf", meshConf);
    return assertThrows(MeshConfigException.class, () -> MeshConfigLoader.load(file));
  }

  static void assertAt(MeshConfigException e, Path file, int line, String keyPath) {
    assertEquals(file, e.file(), e.getMessage());
    assertEquals(line, e.line(), e.getMessage());
    assertEquals(keyPath, e.keyPath(), e.getMessage());
  }
}
