package io.trellis.identity.pem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files that hold secrets (keys, tokens): created with owner-only permissions, so there is no
 * moment at which another user could open them, and replaced atomically.
 */
public final class PrivateFiles {

  /** rw------- */
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  /** rwx------ */
  public static final Set<PosixFilePermission> DIRECTORY =
      PosixFilePermissions.fromString("rwx------");
  /** rw-r--r-- for public material (certificates). */
  public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

  private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private PrivateFiles() {}

  /** Creates the directory (and parents) if missing and sets it to 0700. */
  public static Path ensureDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      try {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
      } catch (FileAlreadyExistsException e) {
        throw new IOException(dir + " exists and is not a directory", e);
      }
    }
    Files.setPosixFilePermissions(dir, DIRECTORY);
    return dir;
  }

  /** Writes a secret: a 0600 temporary file in the same directory, then an atomic rename. */
  public static void writeSecret(Path file, String content) throws IOException {
    write(file, content, FILE);
  }

  /**
   * Creates a secret unless the file exists, atomically (a hard link of a complete 0600 file):
   * of several processes creating the same file at once, exactly one wins and the others read
   * its content, never a half-written or replaced one.
   *
   * @return true when this call created the file
   */
  public static boolean createSecret(Path file, String content) throws IOException {
    Path tmp = complete(file, content, FILE);
    try {
      Files.createLink(file, tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes public material (0644), atomically. */
  public static void writePublic(Path file, String content) throws IOException {
    write(file, content, PUBLIC);
  }

  /**
   * The content, complete and with its final mode, in a temporary file beside {@code file}
   * (created 0600, so no one else could open it in between); the caller renames or links it.
   */
  private static Path complete(Path file, String content, Set<PosixFilePermission> mode)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
        PosixFilePermissions.asFileAttribute(FILE));
    try {
      Files.writeString(tmp, content, StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(tmp, mode);
      return tmp;
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  private static void write(Path file, String content, Set<PosixFilePermission> mode)
      throws IOException {
    Path tmp = complete(file, content, mode);
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a secret, refusing it when group or others may access it (as ssh does with keys): a
   * readable secret has already leaked to every local user.
   */
  public static String readSecret(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
      throw new IOException(file + " has permissions " + PosixFilePermissions.toString(perms)
          + "; a secret must be readable by its owner only (chmod 600 " + file + ")");
    }
    return Files.readString(file, StandardCharsets.US_ASCII);
  }
}
