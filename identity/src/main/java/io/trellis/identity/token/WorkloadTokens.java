package io.trellis.identity.token;

import io.trellis.identity.IdentityName;
import io.trellis.identity.pem.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HOCON mode's workload tokens: {@code <state-dir>/tokens/<workload>.token}, 256 random bits
 * as unpadded base64url, files 0600 in a 0700 directory. Whoever can read a workload's token
 * file can get that workload's certificate, exactly as a Kubernetes ServiceAccount token would
 * allow; run each workload's proxy as a user that can read only its own file.
 *
 * <p>Tokens of workloads no longer in mesh.conf stay on disk but prove nothing.
 */
public final class WorkloadTokens implements TokenValidator {

  public static final String DIRECTORY = "tokens";
  public static final String SUFFIX = ".token";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int TOKEN_BYTES = 32;

  /** A workload's token digest and the identity it proves. */
  private record Entry(String workload, byte[] digest, IdentityName identity) {}

  private final List<Entry> entries;
  private final List<String> created;

  private WorkloadTokens(List<Entry> entries, List<String> created) {
    this.entries = List.copyOf(entries);
    this.created = List.copyOf(created);
  }

  /**
   * Loads the tokens of the given workloads, generating those that do not exist yet.
   *
   * @param workloads each workload's name (a DNS label, used as file name) and its identity
   */
  public static WorkloadTokens ensure(Path stateDir, Map<String, IdentityName> workloads)
      throws IOException {
    PrivateFiles.ensureDirectory(directory(stateDir));
    List<Entry> entries = new ArrayList<>();
    List<String> created = new ArrayList<>();
    for (Map.Entry<String, IdentityName> w : new LinkedHashMap<>(workloads).entrySet()) {
      Path file = file(stateDir, w.getKey());
      String token;
      // Several control-plane nodes share the state directory: only one of them may create a
      // workload's token, and all of them must then use that one.
      if (!Files.exists(file) && PrivateFiles.createSecret(file, generate() + "\n")) {
        created.add(w.getKey());
      }
      token = readFile(file, w.getKey());
      entries.add(new Entry(w.getKey(), digest(token), w.getValue()));
    }
    return new WorkloadTokens(entries, created);
  }

  /**
   * Reads a workload's token, as a proxy started with {@code --workload NAME} does.
   *
   * @throws IOException saying which file is missing or unsafe, and what to do
   */
  public static String read(Path stateDir, String workload) throws IOException {
    return readFile(file(stateDir, workload), workload);
  }

  /** The directory of the token files. */
  public static Path directory(Path stateDir) {
    return stateDir.resolve(DIRECTORY);
  }

  /** A workload's token file. */
  public static Path file(Path stateDir, String workload) {
    if (!IdentityName.isDnsLabel(workload)) {
      // Also keeps names like "../x" out of the path.
      throw new IllegalArgumentException("workload name '" + workload + "' is not a DNS label");
    }
    return directory(stateDir).resolve(workload + SUFFIX);
  }

  /** A new random token: 256 bits, base64url without padding (43 characters). */
  public static String generate() {
    byte[] bytes = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Workloads whose token {@link #ensure} generated (the control plane logs them). */
  public List<String> created() {
    return created;
  }

  @Override
  public IdentityName validate(String token) throws TokenException {
    if (token == null || token.isBlank()) {
      throw new TokenException(TokenException.Reason.INVALID, "no token presented");
    }
    // Compare digests of equal length, all of them, without early exit: how long this takes
    // says nothing about how close a guess was, or which workload it was close to.
    byte[] presented = digest(token.strip());
    IdentityName match = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(presented, entry.digest()) && match == null) {
        match = entry.identity();
      }
    }
    if (match == null) {
      throw new TokenException(TokenException.Reason.INVALID,
          "the token is not the token of any workload of this mesh");
    }
    return match;
  }

  private static String readFile(Path file, String workload) throws IOException {
    String token;
    try {
      token = PrivateFiles.readSecret(file).strip();
    } catch (NoSuchFileException e) {
      throw new IOException("no token for workload '" + workload + "' at " + file
          + "; start the control plane with this workload in mesh.conf first, it creates the"
          + " token", e);
    }
    if (token.isEmpty()) {
      throw new IOException(file + " is empty; delete it and the control plane makes a new token");
    }
    return token;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
