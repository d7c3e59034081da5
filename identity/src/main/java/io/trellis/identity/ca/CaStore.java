package io.trellis.identity.ca;

import io.trellis.identity.pem.Pem;
import io.trellis.identity.pem.PemException;
import io.trellis.identity.pem.PrivateFiles;
import io.trellis.identity.trust.TrustBundle;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The CA in the control plane's state directory:
 *
 * <pre>
 * &lt;state-dir&gt;/ca/            0700
 *   anchor.crt   the trust anchor (0644)
 *   anchor.key   its key, when Trellis made the anchor (0600)
 *   issuer.crt   the issuer (0644)
 *   issuer.key   its key (0600)
 *   bundle.crt   the anchors proxies trust: the anchor, or old + new during a rotation (0644)
 * </pre>
 *
 * <p>{@link #ensureCa} creates the CA on first start so that mTLS is on by default. It is built
 * in a temporary directory and renamed into place, so a crash never leaves half a CA and two
 * control planes starting at once end up with the same one.
 */
public final class CaStore {

  public static final String DIRECTORY = "ca";
  public static final String ANCHOR_CRT = "anchor.crt";
  public static final String ANCHOR_KEY = "anchor.key";
  public static final String ISSUER_CRT = "issuer.crt";
  public static final String ISSUER_KEY = "issuer.key";
  public static final String BUNDLE_CRT = "bundle.crt";

  private static final SecureRandom RANDOM = new SecureRandom();

  private CaStore() {}

  /**
   * The CA that {@link #ensureCa} found or made.
   *
   * @param created true when this call created a new CA (the control plane should say so)
   * @param directory where the CA lives
   * @param warning a problem to log loudly that does not stop the control plane: an issuer that
   *     has expired (CSRs are refused with ISSUER_EXPIRED until it is rotated)
   */
  public record Loaded(
      Ca ca, TrustBundle bundle, boolean created, Path directory, Optional<String> warning) {

    /** A line for the control plane's log. */
    public String describe() {
      return (created ? "no CA was configured: created a new trust anchor and issuer in "
          : "loaded the CA from ") + directory + " (anchor " + ca.anchor().certificate()
          .getSubjectX500Principal().getName() + " valid until " + ca.anchor().certificate()
          .getNotAfter().toInstant() + ", issuer valid until " + ca.issuer().notAfter() + ")";
    }
  }

  /**
   * Where {@code trellis identity rotate-anchor prepare} keeps the next CA until {@code switch}
   * installs it: a state directory of its own ({@code <state-dir>/anchor-rotation/ca/}).
   */
  public static Path pendingAnchorRotation(Path stateDir) {
    return stateDir.resolve("anchor-rotation");
  }

  /** Removes the pending anchor rotation (after {@code switch} installed it). */
  public static void removePendingAnchorRotation(Path stateDir) throws IOException {
    deleteTree(pendingAnchorRotation(stateDir));
  }

  /** The CA directory under a state directory. */
  public static Path directory(Path stateDir) {
    return stateDir.resolve(DIRECTORY);
  }

  /** Loads the CA of the state directory, creating one when there is none. */
  public static Loaded ensureCa(Path stateDir, CaSettings settings, Clock clock)
      throws CaLoadException, IOException {
    Path dir = directory(stateDir);
    if (Files.exists(dir)) {
      return load(stateDir, clock);
    }
    Files.createDirectories(stateDir);
    Path tmp = stateDir.resolve(".ca-" + HexFormat.of().formatHex(randomBytes()));
    Ca ca = Ca.create(settings, clock);
    try {
      write(PrivateFiles.ensureDirectory(tmp), ca, ca.bundle());
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileSystemException raced) {
      // Another control plane created it first: use theirs. (An atomic rename onto a directory
      // that appeared meanwhile fails with ENOTEMPTY, which the JDK reports as a plain
      // FileSystemException, not DirectoryNotEmptyException.)
      if (!Files.isDirectory(dir)) {
        throw raced;
      }
      deleteTree(tmp);
      return load(stateDir, clock);
    } finally {
      deleteTree(tmp);
    }
    return new Loaded(ca, ca.bundle(), true, dir, Optional.empty());
  }

  /** Loads and checks the CA of a state directory. */
  public static Loaded load(Path stateDir, Clock clock) throws CaLoadException {
    Path dir = directory(stateDir);
    List<String> missing = new ArrayList<>();
    for (String name : List.of(ANCHOR_CRT, ISSUER_CRT, ISSUER_KEY)) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new CaLoadException(dir, CaLoadException.Reason.INCOMPLETE,
          "the CA directory lacks " + String.join(", ", missing) + "; restore it from a backup"
              + " or remove the directory to create a new CA (every proxy must then get new"
              + " certificates)");
    }
    Path anchorKey = dir.resolve(ANCHOR_KEY);
    boolean hasAnchorKey = Files.isRegularFile(anchorKey);
    requirePrivate(dir.resolve(ISSUER_KEY));
    if (hasAnchorKey) {
      requirePrivate(anchorKey);
    }
    Ca ca = new CaFiles(dir.resolve(ANCHOR_CRT), hasAnchorKey ? anchorKey : null,
        dir.resolve(ISSUER_CRT), dir.resolve(ISSUER_KEY)).load(clock, false);
    TrustBundle bundle = ca.bundle();
    Path bundleFile = dir.resolve(BUNDLE_CRT);
    if (Files.isRegularFile(bundleFile)) {
      try {
        bundle = TrustBundle.read(bundleFile);
      } catch (PemException e) {
        throw new CaLoadException(bundleFile, CaLoadException.Reason.UNREADABLE, e.getMessage(), e);
      }
      if (!bundle.contains(ca.anchor().certificate())) {
        throw new CaLoadException(bundleFile, CaLoadException.Reason.INCOMPLETE,
            "the trust bundle does not contain the anchor of " + ANCHOR_CRT + "; proxies would "
                + "refuse every certificate this CA issues");
      }
    }
    Optional<String> warning = Optional.empty();
    Instant now = clock.instant();
    if (now.isAfter(ca.issuer().notAfter()) || now.isBefore(ca.issuer().notBefore())) {
      warning = Optional.of("the identity issuer in " + dir.resolve(ISSUER_CRT) + " is not valid"
          + " now (valid " + ca.issuer().notBefore() + " to " + ca.issuer().notAfter() + "):"
          + " no proxy can get a certificate until it is rotated (see docs/identity.md)");
    }
    return new Loaded(ca, bundle, false, dir, warning);
  }

  /** Writes a whole CA and bundle (replacing what is there), e.g. after importing PEM files. */
  public static void save(Path stateDir, Ca ca, TrustBundle bundle) throws IOException {
    Path dir = PrivateFiles.ensureDirectory(directory(stateDir));
    write(dir, ca, bundle);
    if (ca.anchor().key().isEmpty()) {
      Files.deleteIfExists(dir.resolve(ANCHOR_KEY));
    }
  }

  /**
   * Writes a rotated issuer. The key goes first: a crash between the two writes leaves a key
   * that does not match the certificate, which {@link #load} reports, never a silent mix.
   */
  public static void saveIssuer(Path stateDir, Issuer issuer) throws IOException {
    Path dir = directory(stateDir);
    PrivateFiles.writeSecret(dir.resolve(ISSUER_KEY), Pem.encode(issuer.key()));
    PrivateFiles.writePublic(dir.resolve(ISSUER_CRT), Pem.encode(issuer.certificate()));
  }

  /** Writes the trust bundle (an overlap bundle during an anchor rotation). */
  public static void saveBundle(Path stateDir, TrustBundle bundle) throws IOException {
    PrivateFiles.writePublic(directory(stateDir).resolve(BUNDLE_CRT), bundle.toPem());
  }

  private static void write(Path dir, Ca ca, TrustBundle bundle) throws IOException {
    PrivateFiles.writePublic(dir.resolve(ANCHOR_CRT), Pem.encode(ca.anchor().certificate()));
    if (ca.anchor().key().isPresent()) {
      PrivateFiles.writeSecret(dir.resolve(ANCHOR_KEY), Pem.encode(ca.anchor().key().get()));
    }
    PrivateFiles.writeSecret(dir.resolve(ISSUER_KEY), Pem.encode(ca.issuer().key()));
    PrivateFiles.writePublic(dir.resolve(ISSUER_CRT), Pem.encode(ca.issuer().certificate()));
    PrivateFiles.writePublic(dir.resolve(BUNDLE_CRT), bundle.toPem());
  }

  private static void requirePrivate(Path keyFile) throws CaLoadException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
      if (!PrivateFiles.FILE.containsAll(perms)) {
        throw new CaLoadException(keyFile, CaLoadException.Reason.UNREADABLE,
            "a private key with permissions " + PosixFilePermissions.toString(perms)
                + "; it must be readable by its owner only (chmod 600 " + keyFile + ")");
      }
    } catch (IOException | UnsupportedOperationException e) {
      throw new CaLoadException(keyFile, CaLoadException.Reason.UNREADABLE,
          "cannot read permissions: " + e, e);
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
