package io.trellis.actors.identity;

import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.CaLoadException;
import io.trellis.identity.ca.CaStore;
import io.trellis.identity.ca.Issuer;
import io.trellis.identity.csr.CsrSigner;
import io.trellis.identity.token.TokenException;
import io.trellis.identity.token.TokenValidator;
import io.trellis.identity.token.WorkloadTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A control-plane node's certificate authority: the CA of the state directory (created on first
 * start), the workload tokens of mesh.conf, and the {@link CsrSigner} the identity service calls.
 *
 * <p>The issuer is re-read when its files change ({@link #reloadIssuerIfChanged}, called on a
 * timer), so {@code trellis identity rotate-issuer} takes effect without a restart, on every node
 * sharing the state directory. Tokens follow mesh.conf ({@link #applyMesh}): a workload added
 * while running gets its token at once; a removed one's token proves nothing from then on.
 *
 * <p>The token check is a seam: HOCON mode uses {@link WorkloadTokens}; Kubernetes mode will
 * pass a TokenReview-backed {@link TokenValidator} to {@link #withValidator} instead.
 */
public final class IdentityAuthority {
  private static final Logger log = LoggerFactory.getLogger(IdentityAuthority.class);

  /** The size and modification time of the issuer files, to notice a rotation. */
  private record Stamp(long certModified, long certSize, long keyModified, long keySize) {}

  private final Path stateDir;
  private final IdentitySettings settings;
  private final Clock clock;
  private final AtomicReference<Issuer> issuer;
  private final AtomicReference<Stamp> issuerStamp;
  private final AtomicReference<TokenValidator> tokens;
  private final boolean hoconTokens;
  private final CsrSigner signer;

  private IdentityAuthority(Path stateDir, IdentitySettings settings, Clock clock, Issuer issuer,
      TokenValidator tokens, boolean hoconTokens) {
    this.stateDir = stateDir;
    this.settings = settings;
    this.clock = clock;
    this.issuer = new AtomicReference<>(issuer);
    this.issuerStamp = new AtomicReference<>(stamp(stateDir));
    this.tokens = new AtomicReference<>(tokens);
    this.hoconTokens = hoconTokens;
    // The validator is read per request, so a mesh change applies to the next CSR.
    TokenValidator current = token -> this.tokens.get().validate(token);
    this.signer = new CsrSigner(this.issuer::get, current, settings.issuance(), clock);
  }

  /**
   * Loads the CA of {@code stateDir}, creating it when there is none (and logging that it did),
   * for HOCON mode: tokens come from {@link #applyMesh}.
   *
   * @throws CaLoadException a CA that exists but is unusable: names the file and why
   */
  public static IdentityAuthority start(Path stateDir, IdentitySettings settings, Clock clock)
      throws CaLoadException, IOException {
    Objects.requireNonNull(stateDir, "stateDir");
    CaStore.Loaded loaded = CaStore.ensureCa(stateDir, settings.ca(), clock);
    log.info(loaded.describe());
    loaded.warning().ifPresent(log::warn);
    TokenValidator none = token -> {
      throw new TokenException(TokenException.Reason.UNAVAILABLE,
          "the control plane has not read mesh.conf's workloads yet");
    };
    return new IdentityAuthority(stateDir, settings, clock, loaded.ca().issuer(), none, true);
  }

  /**
   * The same CA with another token check (Kubernetes mode: a TokenReview validator);
   * {@link #applyMesh} then no longer replaces it.
   */
  public IdentityAuthority withValidator(TokenValidator validator) {
    return new IdentityAuthority(stateDir, settings, clock, issuer.get(), validator, false);
  }

  /** The signer the identity service calls; it reads the current issuer and tokens per call. */
  public CsrSigner signer() {
    return signer;
  }

  public Path stateDir() {
    return stateDir;
  }

  /** The issuer now in use. */
  public Issuer issuer() {
    return issuer.get();
  }

  /**
   * Makes sure every workload of the mesh has a token (0600 in {@code <state-dir>/tokens}) and
   * that only they prove an identity. A failure to write is logged and leaves the previous
   * tokens in force.
   */
  public void applyMesh(MeshConfig mesh) {
    if (!hoconTokens) {
      return;
    }
    Map<String, IdentityName> workloads = workloadIdentities(mesh, settings);
    try {
      WorkloadTokens next = WorkloadTokens.ensure(stateDir, workloads);
      tokens.set(next);
      List<String> created = next.created();
      if (!created.isEmpty()) {
        log.info("created identity tokens for workloads {} in {} (0600; a proxy started with"
            + " --workload NAME reads its own)", created, WorkloadTokens.directory(stateDir));
      }
    } catch (IOException | RuntimeException e) {
      log.error("cannot write the workload tokens in {}: {}; the previous tokens stay in force",
          WorkloadTokens.directory(stateDir), e.toString());
    }
  }

  /** Each workload's identity: its service account (its name unless mesh.conf says otherwise). */
  public static Map<String, IdentityName> workloadIdentities(
      MeshConfig mesh, IdentitySettings settings) {
    Map<String, IdentityName> out = new LinkedHashMap<>();
    mesh.workloads().values().stream()
        .sorted(java.util.Comparator.comparing(WorkloadConfig::name))
        .forEach(w -> out.put(w.name(), settings.identityOf(w.serviceAccount(), mesh.namespace())));
    return out;
  }

  /**
   * Re-reads the issuer when its files changed (a rotation by {@code trellis identity
   * rotate-issuer} or by hand). A CA that does not load is logged and the current issuer kept,
   * so a half-written rotation never stops issuance.
   *
   * @return true when a new issuer was installed
   */
  public boolean reloadIssuerIfChanged() {
    Stamp now = stamp(stateDir);
    Stamp before = issuerStamp.get();
    if (now.equals(before)) {
      return false;
    }
    try {
      CaStore.Loaded loaded = CaStore.load(stateDir, clock);
      issuerStamp.set(now);
      Issuer next = loaded.ca().issuer();
      if (next.certificate().equals(issuer.get().certificate())) {
        return false;
      }
      issuer.set(next);
      log.info("identity issuer rotated: new certificates come from the issuer with serial {}"
          + " (valid until {})", next.certificate().getSerialNumber().toString(16),
          next.notAfter());
      loaded.warning().ifPresent(log::warn);
      return true;
    } catch (CaLoadException | RuntimeException e) {
      // Keep the stamp so that the next change (the rest of the rotation) is tried again.
      log.warn("the CA in {} changed but does not load ({}); still issuing from {}",
          CaStore.directory(stateDir), e.getMessage(), issuer.get());
      return false;
    }
  }

  private static Stamp stamp(Path stateDir) {
    Path dir = CaStore.directory(stateDir);
    Path cert = dir.resolve(CaStore.ISSUER_CRT);
    Path key = dir.resolve(CaStore.ISSUER_KEY);
    try {
      return new Stamp(Files.getLastModifiedTime(cert).toMillis(), Files.size(cert),
          Files.getLastModifiedTime(key).toMillis(), Files.size(key));
    } catch (IOException e) {
      return new Stamp(-1, -1, -1, -1);
    }
  }
}
