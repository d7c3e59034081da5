package io.trellis.proxy.identity;

import io.trellis.identity.IdentityName;
import io.trellis.identity.pem.PrivateFiles;
import io.trellis.identity.tls.MeshCredentials;
import io.trellis.identity.trust.TrustBundle;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The proxy's identity: its certificate, obtained from the control plane's identity service and
 * renewed while it runs, as the {@link MeshCredentials} the data plane's TLS reads per handshake.
 *
 * <pre>{@code
 * ProxyIdentity identity = ProxyIdentity.of(settings);     // or ProxyIdentity.disabled(reason)
 * Sidecar.start(system, workload, mesh, destinations, proxySettings, identity);  // starts it
 * identity.credentials();      // Optional: empty until the first certificate
 * identity.whenCredentials();  // completes once, with the one MeshCredentials object, which
 *                              // later renewals update in place (TlsContexts.create(it))
 * }</pre>
 *
 * <p>The proxy is {@linkplain #ready() ready} only once the first certificate is installed (or
 * when identity is disabled). An identity-service outage afterwards does not change that: the
 * current certificate keeps serving until it expires, while renewals are retried.
 */
public final class ProxyIdentity {
  private final ProxyIdentitySettings settings;
  private final String disabledReason;
  private final CompletableFuture<MeshCredentials> first = new CompletableFuture<>();
  private CertificateRefresher refresher;
  private GrpcCertifier certifier;

  private ProxyIdentity(ProxyIdentitySettings settings, String disabledReason) {
    this.settings = settings;
    this.disabledReason = disabledReason;
  }

  /** A proxy with an identity; {@link #start} begins getting its certificate. */
  public static ProxyIdentity of(ProxyIdentitySettings settings) {
    return new ProxyIdentity(settings, null);
  }

  /** A proxy without identity: plain connections (metrics: tls="no_identity"). */
  public static ProxyIdentity disabled(String reason) {
    return new ProxyIdentity(null, reason);
  }

  public boolean enabled() {
    return settings != null;
  }

  /** Why there is no identity (the {@code no_tls_reason}), when disabled. */
  public Optional<String> disabledReason() {
    return Optional.ofNullable(disabledReason);
  }

  /** The identity name this proxy asks for. */
  public Optional<IdentityName> name() {
    return enabled() ? Optional.of(settings.identity()) : Optional.empty();
  }

  /** The live credentials; empty until the first certificate (and always when disabled). */
  public Optional<MeshCredentials> credentials() {
    return Optional.ofNullable(first.getNow(null));
  }

  /** Completes with the credentials when the first certificate is installed; never if disabled. */
  public CompletionStage<MeshCredentials> whenCredentials() {
    return first.minimalCompletionStage();
  }

  /** The readiness gate: true without identity, else once the first certificate arrived. */
  public boolean ready() {
    return !enabled() || first.isDone();
  }

  /** Starts getting the certificate over gRPC on {@code system}; Sidecar.start calls this. */
  public synchronized void start(ActorSystem<?> system) {
    if (!enabled() || refresher != null) {
      return;
    }
    certifier = new GrpcCertifier(system, settings.identityService(), settings.requestTimeout());
    start(certifier, (delay, task) -> {
      var cancellable = system.scheduler().scheduleOnce(delay, task, system.executionContext());
      return cancellable::cancel;
    }, Clock.systemUTC(), () -> ThreadLocalRandom.current().nextDouble(), new IdentityMetrics());
  }

  /** As {@link #start(ActorSystem)} with the CA, time and randomness given (tests). */
  synchronized CertificateRefresher start(Certifier ca, CertificateRefresher.Timer timer,
      Clock clock, DoubleSupplier random, IdentityMetrics metrics) {
    refresher = new CertificateRefresher(settings.identity(), this::readToken, this::readBundle,
        ca, settings.renewal(), settings.bundleCheckInterval(), settings.warnAfterFailures(),
        timer, clock, random, metrics, first::complete);
    refresher.start();
    return refresher;
  }

  /** Stops renewing (the current certificate stays installed). */
  public synchronized void stop() {
    if (refresher != null) {
      refresher.stop();
    }
    if (certifier != null) {
      certifier.close();
    }
  }

  /** Consecutive failed attempts (0 after a success). */
  public synchronized int consecutiveFailures() {
    return refresher == null ? 0 : refresher.consecutiveFailures();
  }

  private String readToken() throws IOException {
    Path file = settings.tokenFile();
    String token;
    try {
      token = PrivateFiles.readSecret(file).strip();
    } catch (NoSuchFileException e) {
      throw new IOException("no identity token at " + file + " (the control plane writes it for"
          + " each workload of mesh.conf when it starts)");
    }
    if (token.isEmpty()) {
      throw new IOException(file + " is empty");
    }
    return token;
  }

  private TrustBundle readBundle() throws IOException {
    Path file = settings.trustAnchors();
    try {
      return TrustBundle.read(file);
    } catch (io.trellis.identity.pem.PemException e) {
      throw new IOException("no trust anchors: " + e.getMessage()
          + " (the control plane writes them when it creates the CA)", e);
    }
  }

  /** For logs. */
  @Override
  public String toString() {
    return enabled() ? "identity " + settings.identity() + " from " + settings.identityService()
        : "no identity (" + disabledReason + ")";
  }
}
