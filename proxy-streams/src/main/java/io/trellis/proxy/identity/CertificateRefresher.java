package io.trellis.proxy.identity;

import io.grpc.StatusRuntimeException;
import io.trellis.identity.IdentityName;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.renew.RenewalSchedule;
import io.trellis.identity.tls.LeafCredentials;
import io.trellis.identity.tls.MeshCredentials;
import io.trellis.identity.trust.TrustBundle;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the proxy's certificate and keeps it fresh: each attempt makes a new P-256 key in memory
 * (never written, never sent), sends a CSR with the workload's token, checks the answer
 * ({@link LeafCredentials#accept}) and installs it into {@link MeshCredentials}; the next
 * attempt is due after {@link RenewalSchedule#fraction} of the new leaf's remaining lifetime. A
 * failed attempt is retried with {@link RenewalSchedule#retryAt} (backoff with jitter, never
 * past the current leaf's expiry) while the current leaf keeps serving.
 *
 * <p>The trust bundle is re-read before each attempt and every {@code bundleCheck}, so an
 * overlap bundle published during an anchor rotation reaches running proxies.
 *
 * <p>Time comes from a {@link Clock} and a {@link Timer}, so tests run it on virtual time.
 */
final class CertificateRefresher {
  private static final Logger log = LoggerFactory.getLogger(CertificateRefresher.class);

  /** Runs a task after a delay; returns what cancels it. */
  @FunctionalInterface
  interface Timer {
    Runnable schedule(Duration delay, Runnable task);
  }

  private final IdentityName identity;
  private final Callable<String> token;
  private final Callable<TrustBundle> bundle;
  private final Certifier certifier;
  private final RenewalSchedule schedule;
  private final Duration bundleCheck;
  private final int warnAfter;
  private final Timer timer;
  private final Clock clock;
  private final DoubleSupplier random;
  private final IdentityMetrics metrics;
  private final Consumer<MeshCredentials> onFirst;

  // Guarded by this.
  private MeshCredentials credentials;
  private final MeshCredentials target;
  private int failures;
  private long refreshes;
  private Instant nextAttempt;
  private String lastFailure;
  private Runnable cancelAttempt = () -> {};
  private Runnable cancelBundleCheck = () -> {};
  private boolean stopped;

  CertificateRefresher(IdentityName identity, Callable<String> token,
      Callable<TrustBundle> bundle, Certifier certifier, RenewalSchedule schedule,
      Duration bundleCheck, int warnAfter, Timer timer, Clock clock, DoubleSupplier random,
      IdentityMetrics metrics, MeshCredentials target, Consumer<MeshCredentials> onFirst) {
    this.target = target;
    this.identity = identity;
    this.token = token;
    this.bundle = bundle;
    this.certifier = certifier;
    this.schedule = schedule;
    this.bundleCheck = bundleCheck;
    this.warnAfter = warnAfter;
    this.timer = timer;
    this.clock = clock;
    this.random = random;
    this.metrics = metrics;
    this.onFirst = onFirst;
  }

  /** Makes the first attempt now. */
  synchronized void start() {
    scheduleAttempt(clock.instant());
    cancelBundleCheck = timer.schedule(bundleCheck, this::checkBundle);
  }

  synchronized void stop() {
    stopped = true;
    cancelAttempt.run();
    cancelBundleCheck.run();
  }

  private void attempt() {
    synchronized (this) {
      if (stopped) {
        return;
      }
    }
    TrustBundle trust;
    String secret;
    try {
      trust = bundle.call();
      secret = token.call();
    } catch (Exception e) {
      failed(e.getMessage());
      return;
    }
    LeafRequest request = LeafRequest.create(identity);
    CompletionStage<IssuedCertificate> answer;
    try {
      answer = certifier.certify(request.toCertifyRequest(secret));
    } catch (RuntimeException e) {
      failed(describe(e));
      return;
    }
    answer.whenComplete((issued, failure) -> {
      if (failure != null) {
        failed(describe(failure));
      } else {
        install(request, issued, trust);
      }
    });
  }

  private void install(LeafRequest request, IssuedCertificate issued, TrustBundle trust) {
    MeshCredentials first = null;
    synchronized (this) {
      if (stopped) {
        return;
      }
      Instant now = clock.instant();
      LeafCredentials leaf;
      try {
        leaf = LeafCredentials.accept(request, issued, trust, now);
      } catch (CertificateException e) {
        failed("refused the identity service's answer: " + e.getMessage());
        return;
      }
      if (credentials == null) {
        credentials = target;
        credentials.updateBundle(trust);
        first = credentials;
      } else if (!credentials.bundle().anchors().equals(trust.anchors())) {
        // A renewal read the bundle file before the periodic check did: say so all the same,
        // operators wait for this line during an anchor rotation.
        credentials.updateBundle(trust);
        log.info("identity: trust bundle changed: now {} anchor(s)", trust.anchors().size());
      }
      credentials.update(leaf);
      if (failures >= warnAfter) {
        log.info("identity: got a certificate after {} failed attempts", failures);
      }
      failures = 0;
      lastFailure = null;
      refreshes++;
      metrics.refreshed(leaf.notAfter());
      Instant at = schedule.renewAt(now, leaf.notAfter());
      log.info("identity: certificate for {} valid until {} (issuer serial {}); renewing at {}",
          identity, leaf.notAfter(), leaf.chain().size() < 2 ? "-"
              : leaf.chain().get(1).getSerialNumber().toString(16), at);
      scheduleAttempt(at);
    }
    if (first != null) {
      onFirst.accept(first);
    }
  }

  private synchronized void failed(String why) {
    if (stopped) {
      return;
    }
    failures++;
    lastFailure = why;
    metrics.failed(failures);
    Instant now = clock.instant();
    Instant expiry = credentials == null
        ? null : credentials.current().map(LeafCredentials::notAfter).orElse(null);
    Instant at = schedule.retryAt(now, failures, random.getAsDouble(), expiry);
    String state = expiry == null ? "no certificate yet, not ready"
        : now.isBefore(expiry) ? "current certificate valid until " + expiry
        : "current certificate EXPIRED at " + expiry;
    if (failures >= warnAfter) {
      log.warn("identity: getting a certificate for {} failed {} times in a row ({}); {};"
          + " next attempt at {}", identity, failures, why, state, at);
    } else {
      log.info("identity: getting a certificate for {} failed ({}); {}; next attempt at {}",
          identity, why, state, at);
    }
    scheduleAttempt(at);
  }

  private synchronized void checkBundle() {
    if (stopped) {
      return;
    }
    try {
      TrustBundle trust = bundle.call();
      if (credentials != null && !credentials.bundle().anchors().equals(trust.anchors())) {
        credentials.updateBundle(trust);
        log.info("identity: trust bundle changed: now {} anchor(s)", trust.anchors().size());
      }
    } catch (Exception e) {
      log.warn("identity: cannot re-read the trust bundle ({}); keeping the current one",
          e.getMessage());
    }
    cancelBundleCheck = timer.schedule(bundleCheck, this::checkBundle);
  }

  private void scheduleAttempt(Instant at) {
    nextAttempt = at;
    Duration delay = Duration.between(clock.instant(), at);
    cancelAttempt = timer.schedule(delay.isNegative() ? Duration.ZERO : delay, this::attempt);
  }

  /** A failure as one line: a gRPC status says its code and the CA's reason. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof StatusRuntimeException s) {
      return s.getStatus().getCode() + ": " + s.getStatus().getDescription();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  synchronized int consecutiveFailures() {
    return failures;
  }

  synchronized long refreshes() {
    return refreshes;
  }

  synchronized Instant nextAttempt() {
    return nextAttempt;
  }

  synchronized String lastFailure() {
    return lastFailure;
  }
}
