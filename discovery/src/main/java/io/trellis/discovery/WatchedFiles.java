package io.trellis.discovery;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.CRC32;

/**
 * The files a mesh depends on (mesh.conf and the resources it lists) and a fingerprint of their
 * contents, so that a poll can tell whether anything changed even when a WatchService misses an
 * event or an edit keeps the same modification time.
 */
final class WatchedFiles {
  /** Where mesh.conf lists its resource files (see {@link io.trellis.config.MeshConfigLoader}). */
  static final String RESOURCES = "trellis.mesh.resources";

  // Bounds: a fingerprint never reads more than this, however large or crowded the files get.
  private static final long MAX_HASHED_BYTES = 16L << 20;
  private static final int MAX_DIRECTORY_ENTRIES = 1_000;

  /**
   * Slack for coarse file timestamps and for the kernel's clock lagging {@link
   * System#currentTimeMillis} when deciding that a file has not been written since a fingerprint.
   */
  private static final long TIMESTAMP_SLACK_MILLIS = 2_000;

  /**
   * One file's state: size, mtime, ctime (the inode's last change, which no program can set
   * back; {@code -1} where the file system does not say) and a content checksum ({@code -1} where
   * absent).
   */
  record Stamp(Path path, long size, long modifiedMillis, long changedMillis, long crc) {}

  private WatchedFiles() {}

  /**
   * mesh.conf and its resources, resolved against its directory; empty when mesh.conf cannot be
   * parsed (the caller then keeps the list it had). Reading the list here is lenient on purpose:
   * the loader is the one that validates and reports errors.
   */
  static Optional<List<Path>> of(Path meshConf) {
    Set<Path> files = new LinkedHashSet<>();
    files.add(meshConf);
    Path dir = meshConf.toAbsolutePath().getParent();
    try {
      Config config = ConfigFactory.parseFile(meshConf.toFile()).resolve();
      if (config.hasPath(RESOURCES)) {
        for (String resource : config.getStringList(RESOURCES)) {
          files.add(dir.resolve(resource).normalize());
        }
      }
    } catch (ConfigException e) {
      return Optional.empty();
    }
    return Optional.of(List.copyOf(files));
  }

  /** Directories to register with a WatchService for these files. */
  static Set<Path> directoriesOf(List<Path> files) {
    Set<Path> dirs = new LinkedHashSet<>();
    for (Path file : files) {
      Path absolute = file.toAbsolutePath();
      if (Files.isDirectory(absolute)) {
        dirs.add(absolute);
      }
      if (absolute.getParent() != null && Files.isDirectory(absolute.getParent())) {
        dirs.add(absolute.getParent());
      }
    }
    return dirs;
  }

  /** The current state of every file (a directory stands for the regular files directly in it). */
  static List<Stamp> fingerprint(List<Path> files) {
    return fingerprint(files, List.of(), Long.MIN_VALUE);
  }

  /**
   * As {@link #fingerprint(List)}, without reading again a file whose stamp in {@code previous}
   * (taken at {@code previousAtMillis}, read before it started) still holds and whose ctime is
   * older than that fingerprint: any write, and any change of mtime, since then would have moved
   * the ctime past it, so the content is the one checksummed. A proxy polls every second, and
   * reading mesh.conf whole each time put a file open, a read and their allocation on the proxy's
   * core once a second (bench/RESULTS.md, session 7).
   */
  static List<Stamp> fingerprint(List<Path> files, List<Stamp> previous, long previousAtMillis) {
    Map<Path, Stamp> before = new HashMap<>();
    for (Stamp stamp : previous) {
      before.put(stamp.path(), stamp);
    }
    List<Stamp> stamps = new ArrayList<>();
    for (Path file : files) {
      if (Files.isDirectory(file)) {
        TreeSet<Path> entries = new TreeSet<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(file)) {
          for (Path entry : listing) {
            if (entries.size() >= MAX_DIRECTORY_ENTRIES) {
              break;
            }
            entries.add(entry);
          }
        } catch (IOException e) {
          stamps.add(new Stamp(file, -1, -1, -1, -1));
        }
        for (Path entry : entries) {
          if (Files.isRegularFile(entry)) {
            stamps.add(stamp(entry, before.get(entry), previousAtMillis));
          }
        }
      } else {
        stamps.add(stamp(file, before.get(file), previousAtMillis));
      }
    }
    return stamps;
  }

  /** {@code before}: the file's stamp in the previous fingerprint, or null. */
  private static Stamp stamp(Path file, Stamp before, long previousAtMillis) {
    try {
      long size;
      long modified;
      long changed;
      try {
        Map<String, Object> unix = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime");
        size = (Long) unix.get("size");
        modified = ((FileTime) unix.get("lastModifiedTime")).toMillis();
        changed = ((FileTime) unix.get("ctime")).toMillis();
      } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
        size = Files.size(file);
        modified = Files.getLastModifiedTime(file).toMillis();
        changed = -1; // unknown: always read
      }
      if (before != null
          && changed >= 0
          && changed < previousAtMillis - TIMESTAMP_SLACK_MILLIS
          && before.size() == size
          && before.modifiedMillis() == modified
          && before.changedMillis() == changed) {
        return before;
      }
      return new Stamp(file, size, modified, changed, crc(file));
    } catch (IOException e) {
      return new Stamp(file, -1, -1, -1, -1); // missing or unreadable: the loader will say why
    }
  }

  private static long crc(Path file) throws IOException {
    CRC32 crc = new CRC32();
    byte[] buffer = new byte[8192];
    long remaining = MAX_HASHED_BYTES;
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while (remaining > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining))) > 0) {
        crc.update(buffer, 0, n);
        remaining -= n;
      }
    }
    return crc.getValue();
  }
}
