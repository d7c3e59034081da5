package io.trellis.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A mesh.conf or one of its resources is invalid. The message reads like a compiler's: {@code
 * mesh.conf:12: trellis.mesh.workloads.web.app-port: expected a port number 1..65535, got "80a"},
 * so a user can jump to the line. Unchecked, so that a watcher can catch it around a reload and
 * keep the previous mesh, while callers that cannot recover simply let it fly.
 */
public final class MeshConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String keyPath;
  private final String reason;

  /**
   * @param file the file at fault, as the user named it (mesh.conf or a resource)
   * @param line 1-based line in {@code file}, or -1 if unknown
   * @param keyPath the HOCON key path or YAML field path at fault, or "" for the whole file
   * @param reason what is wrong, and where useful what would be right
   */
  public MeshConfigException(Path file, int line, String keyPath, String reason) {
    this(file, line, keyPath, reason, null);
  }

  public MeshConfigException(Path file, int line, String keyPath, String reason, Throwable cause) {
    super(format(file, line, keyPath, reason), cause);
    this.file = Objects.requireNonNull(file, "file");
    this.line = line;
    this.keyPath = Objects.requireNonNullElse(keyPath, "");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Path file() {
    return file;
  }

  /** 1-based line, or -1 when unknown (a missing file, a key absent from a merged object). */
  public int line() {
    return line;
  }

  public String keyPath() {
    return keyPath;
  }

  public String reason() {
    return reason;
  }

  private static String format(Path file, int line, String keyPath, String reason) {
    StringBuilder b = new StringBuilder().append(file);
    if (line > 0) {
      b.append(':').append(line);
    }
    b.append(": ");
    if (keyPath != null && !keyPath.isEmpty()) {
      b.append(keyPath).append(": ");
    }
    return b.append(reason).toString();
  }
}
