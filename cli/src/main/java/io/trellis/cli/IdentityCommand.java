package io.trellis.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.trellis.actors.ControlPlaneSettings;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.ca.CaFiles;
import io.trellis.identity.ca.CaLoadException;
import io.trellis.identity.ca.CaSettings;
import io.trellis.identity.ca.CaStore;
import io.trellis.identity.x509.Certificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trellis identity}: the mesh's CA in a control plane's state directory. {@code init}
 * creates or imports it; {@code rotate-issuer} replaces the issuer under the same anchor, which
 * running control-plane nodes pick up from the files. Exit codes: 0 done, 2 bad input (a file
 * that does not load names the file and why; an existing CA without --force), 1 cannot write.
 */
@Command(
    name = "identity",
    mixinStandardHelpOptions = true,
    description = {
      "The mesh's certificate authority, in the control plane's state directory",
      "(<state-dir>/ca; .trellis beside mesh.conf by default). See docs/identity.md."
    },
    subcommands = {
      IdentityCommand.Init.class, IdentityCommand.RotateIssuer.class,
      IdentityCommand.RotateAnchor.class
    })
final class IdentityCommand implements Runnable {
  static final int USAGE_ERROR = 2;
  static final int WRITE_ERROR = 1;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "missing command: init, rotate-issuer or rotate-anchor");
  }

  /** Where the CA lives: {@code --state-dir}, or the state directory of {@code --config}. */
  static final class Where {
    @Option(names = "--state-dir", paramLabel = "DIR",
        description = "The control plane's state directory (the CA goes in DIR/ca).")
    Path stateDir;

    @Option(names = "--config", paramLabel = "FILE",
        description = "mesh.conf: its state directory (trellis.control-plane.state-dir, else"
            + " .trellis beside it) and its trellis.identity settings.")
    Path config;
  }

  /** The state directory and CA settings one command works with. */
  record Target(Path stateDir, CaSettings settings) {}

  /** Shared by the subcommands: resolves the target or says what is wrong (exit 2). */
  abstract static class Base implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Where where;

    Target target() throws UsageException {
      if (where.stateDir != null) {
        return new Target(where.stateDir.toAbsolutePath(), IdentitySettings.defaults().ca());
      }
      Path config = where.config;
      if (!Files.isRegularFile(config)) {
        throw new UsageException(config + ": no such file");
      }
      try {
        Config file = ConfigFactory.parseFile(config.toFile());
        ControlPlaneSettings cp = ControlPlaneSettings.fromConfig(file).withStateDirBeside(config);
        IdentitySettings identity = IdentitySettings.fromConfig(
                file.withFallback(ConfigFactory.defaultReference()).resolve())
            .withDomain(cp.identity().controlNamespace(), cp.identity().trustDomain());
        return new Target(cp.stateDir(), identity.ca());
      } catch (ConfigException | IllegalArgumentException e) {
        throw new UsageException(config + ": " + e.getMessage());
      }
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    int fail(int code, String message) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("trellis identity " + spec.name() + ": " + message);
      err.flush();
      return code;
    }

    /** The target's CA settings with the lifetimes the options give (null: as configured). */
    static CaSettings withLifetimes(CaSettings settings, String anchorLifetime,
        String issuerLifetime) throws UsageException {
      if (anchorLifetime != null) {
        settings = settings.withAnchorLifetime(duration(anchorLifetime, "--anchor-lifetime"));
      }
      if (issuerLifetime != null) {
        settings = settings.withIssuerLifetime(duration(issuerLifetime, "--issuer-lifetime"));
      }
      return settings;
    }

    static Duration duration(String text, String option) throws UsageException {
      try {
        Duration d = ConfigFactory.parseString("d = \"" + text + "\"").getDuration("d");
        if (d.isNegative() || d.isZero()) {
          throw new UsageException(option + " must be a positive duration, was " + text);
        }
        return d;
      } catch (ConfigException e) {
        throw new UsageException(option + ": '" + text + "' is not a duration (e.g. 365d, 90d,"
            + " 24h)");
      }
    }
  }

  /** Bad input: exit 2 with this message. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      description = {
        "Creates a trust anchor and an issuer (ECDSA P-256) in the state directory, or imports",
        "them from PEM files (--anchor-cert, --issuer-cert, --issuer-key [--anchor-key]).",
        "An existing CA is kept unless --force: replacing it means every proxy needs new",
        "certificates and the new trust bundle."
      })
  static final class Init extends Base {
    @Option(names = "--anchor-cert", paramLabel = "FILE", description = "Trust anchor (PEM).")
    Path anchorCert;

    @Option(names = "--anchor-key", paramLabel = "FILE",
        description = "The anchor's key; without it Trellis cannot rotate the issuer itself.")
    Path anchorKey;

    @Option(names = "--issuer-cert", paramLabel = "FILE", description = "Issuer (PEM).")
    Path issuerCert;

    @Option(names = "--issuer-key", paramLabel = "FILE", description = "Issuer's key (PEM).")
    Path issuerKey;

    @Option(names = "--anchor-lifetime", paramLabel = "DURATION",
        description = "Validity of a new anchor (default: trellis.identity, 365d).")
    String anchorLifetime;

    @Option(names = "--issuer-lifetime", paramLabel = "DURATION",
        description = "Validity of a new issuer (default: trellis.identity, 365d).")
    String issuerLifetime;

    @Option(names = "--force", description = "Replace an existing CA.")
    boolean force;

    @Override
    public Integer call() {
      Target target;
      Ca ca;
      boolean imported = anchorCert != null || issuerCert != null || issuerKey != null
          || anchorKey != null;
      try {
        target = target();
        if (imported) {
          ca = importFiles();
        } else {
          ca = Ca.create(withLifetimes(target.settings(), anchorLifetime, issuerLifetime),
              Clock.systemUTC());
        }
      } catch (UsageException e) {
        return fail(USAGE_ERROR, e.getMessage());
      } catch (CaLoadException e) {
        return fail(USAGE_ERROR, e.getMessage()); // names the file and the reason
      }
      Path dir = CaStore.directory(target.stateDir());
      boolean exists = Files.exists(dir);
      if (exists && !force) {
        return fail(USAGE_ERROR, dir + " already holds a CA; keeping it. Use --force to replace"
            + " it (every proxy then needs a new certificate and trust bundle), or"
            + " `trellis identity rotate-issuer` to replace only the issuer.");
      }
      try {
        CaStore.save(target.stateDir(), ca, ca.bundle());
      } catch (IOException e) {
        return fail(WRITE_ERROR, "cannot write " + dir + ": " + e.getMessage());
      }
      PrintWriter out = out();
      out.println((imported ? "imported" : "created") + " the CA in " + dir
          + (exists ? " (replacing the previous one)" : ""));
      out.println("  trust anchor " + Certificates.describe(ca.anchor().certificate())
          + (ca.anchor().key().isPresent() ? "" : " (no anchor key: rotate the issuer by"
              + " importing one the anchor's owner signed)"));
      out.println("  issuer       " + Certificates.describe(ca.issuer().certificate()));
      out.println("  trust bundle " + dir.resolve(CaStore.BUNDLE_CRT));
      if (exists) {
        out.println("restart the control-plane nodes; proxies need the new trust bundle");
      }
      out.flush();
      return 0;
    }

    private Ca importFiles() throws UsageException, CaLoadException {
      if (anchorLifetime != null || issuerLifetime != null) {
        throw new UsageException("--anchor-lifetime and --issuer-lifetime apply to a CA that"
            + " Trellis creates, not to imported certificates");
      }
      if (anchorCert == null || issuerCert == null || issuerKey == null) {
        throw new UsageException("importing a CA needs --anchor-cert, --issuer-cert and"
            + " --issuer-key (and --anchor-key to let Trellis rotate the issuer)");
      }
      return new CaFiles(anchorCert, anchorKey, issuerCert, issuerKey).load(Clock.systemUTC());
    }
  }

  @Command(
      name = "rotate-issuer",
      mixinStandardHelpOptions = true,
      description = {
        "Makes a new issuer signed by the same trust anchor (needs the anchor's key) and",
        "saves it. Running control-plane nodes sharing the state directory switch to it",
        "within their mesh poll interval; leaves of the old issuer stay valid until they",
        "expire (same anchor), so there is no outage."
      })
  static final class RotateIssuer extends Base {
    @Option(names = "--issuer-lifetime", paramLabel = "DURATION",
        description = "Validity of the new issuer (default: trellis.identity, 365d).")
    String issuerLifetime;

    @Override
    public Integer call() {
      Target target;
      CaStore.Loaded loaded;
      CaSettings settings;
      try {
        target = target();
        settings = withLifetimes(target.settings(), null, issuerLifetime);
        Path dir = CaStore.directory(target.stateDir());
        if (!Files.isDirectory(dir)) {
          throw new UsageException("no CA in " + dir + "; create one with `trellis identity"
              + " init` or by starting the control plane");
        }
        loaded = CaStore.load(target.stateDir(), Clock.systemUTC());
      } catch (UsageException e) {
        return fail(USAGE_ERROR, e.getMessage());
      } catch (CaLoadException e) {
        return fail(USAGE_ERROR, e.getMessage());
      }
      Path dir = CaStore.directory(target.stateDir());
      if (loaded.ca().anchor().key().isEmpty()) {
        return fail(USAGE_ERROR, "the trust anchor's key is not in " + dir.resolve(
            CaStore.ANCHOR_KEY) + " (the CA was imported without --anchor-key), so Trellis"
            + " cannot sign a new issuer: have the anchor's owner sign one and import it with"
            + " `trellis identity init --force --anchor-cert A --issuer-cert I --issuer-key K`");
      }
      Ca rotated = loaded.ca().rotateIssuer(settings, Clock.systemUTC());
      try {
        CaStore.saveIssuer(target.stateDir(), rotated.issuer());
      } catch (IOException e) {
        return fail(WRITE_ERROR, "cannot write the new issuer in " + dir + ": " + e.getMessage());
      }
      PrintWriter out = out();
      out.println("rotated the issuer in " + dir);
      out.println("  old issuer " + Certificates.describe(loaded.ca().issuer().certificate()));
      out.println("  new issuer " + Certificates.describe(rotated.issuer().certificate()));
      out.println("running control-plane nodes switch to it within their mesh poll interval;"
          + " certificates of the old issuer stay valid until they expire");
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "rotate-anchor",
      mixinStandardHelpOptions = true,
      description = {
        "Replaces the trust anchor without an outage, in three steps (docs/identity.md):",
        "  prepare  make the next anchor and issuer; publish the overlap bundle (old + new",
        "           anchors) in ca/bundle.crt; keep issuing from the old issuer",
        "  switch   once every proxy has the overlap bundle: issue from the new issuer",
        "  finish   once every proxy holds a new certificate (a leaf lifetime later): the",
        "           bundle holds the new anchor only"
      })
  static final class RotateAnchor extends Base {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "prepare|switch|finish",
        description = "The step.")
    String phase;

    @Option(names = "--anchor-lifetime", paramLabel = "DURATION",
        description = "Validity of the new anchor (prepare; default: trellis.identity, 365d).")
    String anchorLifetime;

    @Option(names = "--issuer-lifetime", paramLabel = "DURATION",
        description = "Validity of the new issuer (prepare; default: trellis.identity, 365d).")
    String issuerLifetime;

    @Override
    public Integer call() {
      try {
        Target target = target();
        Path dir = CaStore.directory(target.stateDir());
        if (!Files.isDirectory(dir)) {
          throw new UsageException("no CA in " + dir + "; create one with `trellis identity"
              + " init` or by starting the control plane");
        }
        CaStore.Loaded current = CaStore.load(target.stateDir(), Clock.systemUTC());
        Path pending = CaStore.pendingAnchorRotation(target.stateDir());
        return switch (phase) {
          case "prepare" -> prepare(target, current, pending);
          case "switch" -> switchOver(target, current, pending);
          case "finish" -> finish(target, current, pending);
          default -> throw new UsageException("unknown step '" + phase
              + "': prepare, switch or finish");
        };
      } catch (UsageException | CaLoadException e) {
        return fail(USAGE_ERROR, e.getMessage());
      } catch (IOException e) {
        return fail(WRITE_ERROR, e.getMessage());
      }
    }

    private int prepare(Target target, CaStore.Loaded current, Path pending)
        throws UsageException, IOException {
      if (Files.exists(CaStore.directory(pending))) {
        throw new UsageException("an anchor rotation is already prepared in " + pending
            + "; continue with `switch`, or remove that directory to start over");
      }
      Ca next = current.ca().rotateAnchor(
          withLifetimes(target.settings(), anchorLifetime, issuerLifetime), Clock.systemUTC());
      CaStore.save(pending, next, next.bundle());
      CaStore.saveBundle(target.stateDir(), current.bundle().plus(next.anchor().certificate()));
      PrintWriter out = out();
      out.println("prepared the next CA in " + CaStore.directory(pending));
      out.println("  new trust anchor " + Certificates.describe(next.anchor().certificate()));
      out.println("published the overlap bundle (old + new anchors) in "
          + CaStore.directory(target.stateDir()).resolve(CaStore.BUNDLE_CRT));
      out.println("proxies re-read it within trellis.proxy.identity.bundle-check-interval"
          + " (copy it to proxies on other machines); certificates still come from the old"
          + " issuer. Next, once every proxy has it: trellis identity rotate-anchor switch");
      out.flush();
      return 0;
    }

    private int switchOver(Target target, CaStore.Loaded current, Path pending)
        throws UsageException, CaLoadException, IOException {
      if (!Files.exists(CaStore.directory(pending))) {
        throw new UsageException("no anchor rotation prepared in " + pending
            + "; run `trellis identity rotate-anchor prepare` first");
      }
      Ca next = CaStore.load(pending, Clock.systemUTC()).ca();
      if (!current.bundle().contains(next.anchor().certificate())) {
        throw new UsageException("the trust bundle does not hold the new anchor; run"
            + " `prepare` again (remove " + pending + " first)");
      }
      CaStore.save(target.stateDir(), next, current.bundle());
      CaStore.removePendingAnchorRotation(target.stateDir());
      PrintWriter out = out();
      out.println("switched to the new anchor and issuer in "
          + CaStore.directory(target.stateDir()));
      out.println("  issuer " + Certificates.describe(next.issuer().certificate()));
      out.println("running control-plane nodes issue from it within their mesh poll interval;"
          + " the bundle still trusts both anchors. Next, after one leaf lifetime (24 h by"
          + " default) and the renewal slack: trellis identity rotate-anchor finish");
      out.flush();
      return 0;
    }

    private int finish(Target target, CaStore.Loaded current, Path pending)
        throws UsageException, IOException {
      if (Files.exists(CaStore.directory(pending))) {
        throw new UsageException("the anchor rotation in " + pending + " is prepared but not"
            + " switched; run `trellis identity rotate-anchor switch` first");
      }
      CaStore.saveBundle(target.stateDir(), current.ca().bundle());
      PrintWriter out = out();
      out.println("the trust bundle now holds only the anchor "
          + Certificates.describe(current.ca().anchor().certificate()));
      out.println("proxies re-read it within trellis.proxy.identity.bundle-check-interval;"
          + " certificates chaining to the old anchor are refused from then on");
      out.flush();
      return 0;
    }
  }
}
