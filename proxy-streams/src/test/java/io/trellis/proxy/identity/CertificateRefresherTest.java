package io.trellis.proxy.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.trellis.config.HostPort;
import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.ca.CaStore;
import io.trellis.identity.ca.Issuer;
import io.trellis.identity.csr.CsrSigner;
import io.trellis.identity.csr.IssuanceException;
import io.trellis.identity.csr.IssuanceSettings;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.renew.RenewalSchedule;
import io.trellis.identity.tls.LeafCredentials;
import io.trellis.identity.tls.MeshCredentials;
import io.trellis.identity.token.WorkloadTokens;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's certificate lifecycle on virtual time: a real CA ({@link CsrSigner}) with 20 s
 * leaves, the workload's token and trust bundle in a state directory, and a timer that runs
 * tasks when the test moves the clock.
 */
class CertificateRefresherTest {
  private static final IdentityName WEB =
      IdentityName.parse("web.demo.serviceaccount.identity.trellis.cluster.local");
  private static final Duration LEAF = Duration.ofSeconds(20);

  @TempDir Path stateDir;

  private final VirtualTime time = new VirtualTime(Instant.parse("2026-03-01T12:00:00Z"));
  private final IdentitySettings identity = IdentitySettings.defaults();
  private Ca ca;
  private AtomicReference<Issuer> issuer;
  private CsrSigner signer;
  /** The identity service as the proxy sees it; tests take it down and up. */
  private volatile boolean serviceUp = true;

  @BeforeEach
  void ca() throws Exception {
    ca = Ca.create(identity.ca(), time.clock);
    CaStore.save(stateDir, ca, ca.bundle());
    issuer = new AtomicReference<>(ca.issuer());
  }

  private ProxyIdentity proxy() {
    return ProxyIdentity.of(new ProxyIdentitySettings(WEB,
        WorkloadTokens.file(stateDir, "web"),
        CaStore.directory(stateDir).resolve(CaStore.BUNDLE_CRT),
        List.of(new HostPort("127.0.0.1", 8086)),
        RenewalSchedule.defaults(), Duration.ofSeconds(10), Duration.ofSeconds(10), 3));
  }

  private CertificateRefresher start(ProxyIdentity proxy, Certifier certifier) {
    // Jitter draws 1.0: each retry waits its whole backoff, so the schedule is exact.
    return proxy.start(certifier, time, time.clock, () -> 1.0, IdentityMetrics.NONE);
  }

  /** The CA behind the service: signs with the current issuer, checks the real tokens. */
  private Certifier service() throws Exception {
    WorkloadTokens tokens = WorkloadTokens.ensure(stateDir, Map.of("web", WEB));
    signer = new CsrSigner(issuer::get, tokens, new IssuanceSettings(LEAF, Duration.ofSeconds(20)),
        time.clock);
    return request -> {
      if (!serviceUp) {
        return CompletableFuture.failedFuture(Status.UNAVAILABLE
            .withDescription("io exception").asRuntimeException());
      }
      try {
        return CompletableFuture.completedFuture(signer.certify(request));
      } catch (IssuanceException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
  }

  @Test
  void theFirstCertificateMakesItReadyAndIsRenewedAt70PercentOfItsLifetime() throws Exception {
    ProxyIdentity proxy = proxy();
    CertificateRefresher refresher = start(proxy, service());
    assertFalse(proxy.ready(), "not ready before the first attempt ran");
    time.advance(Duration.ZERO);

    assertTrue(proxy.ready());
    MeshCredentials credentials = proxy.credentials().orElseThrow();
    LeafCredentials first = credentials.current().orElseThrow();
    assertEquals(WEB, first.identity());
    assertEquals(time.now.plus(LEAF), first.notAfter());
    assertEquals(time.now.plus(Duration.ofSeconds(14)), refresher.nextAttempt());

    time.advance(Duration.ofSeconds(14));
    LeafCredentials second = credentials.current().orElseThrow();
    assertNotEquals(first.leaf().getSerialNumber(), second.leaf().getSerialNumber());
    assertNotEquals(first.key(), second.key(), "a new key per certificate");
    assertEquals(2, refresher.refreshes());
    assertTrue(proxy.credentials().orElseThrow() == credentials, "one object, updated in place");
    assertEquals(time.now.plus(Duration.ofSeconds(14)), refresher.nextAttempt());
  }

  @Test
  void anOutageKeepsTheCurrentCertificateAndRetriesWithBackoffNeverPastItsExpiry()
      throws Exception {
    ProxyIdentity proxy = proxy();
    CertificateRefresher refresher = start(proxy, service());
    Instant t0 = time.now;
    time.advance(Duration.ZERO);
    LeafCredentials leaf = proxy.credentials().orElseThrow().current().orElseThrow();

    serviceUp = false;
    time.advance(Duration.ofSeconds(14));   // renewal fails: retry after 1 s
    assertEquals(1, refresher.consecutiveFailures());
    assertTrue(refresher.lastFailure().startsWith("UNAVAILABLE"), refresher.lastFailure());
    assertEquals(t0.plusSeconds(15), refresher.nextAttempt());
    time.advance(Duration.ofSeconds(1));    // 2 s
    assertEquals(t0.plusSeconds(17), refresher.nextAttempt());
    time.advance(Duration.ofSeconds(2));    // 4 s would be 21 s: capped at the expiry, 20 s
    assertEquals(3, refresher.consecutiveFailures());
    assertEquals(leaf.notAfter(), refresher.nextAttempt());
    assertTrue(proxy.ready(), "still serving with the current certificate");
    assertEquals(leaf, proxy.credentials().orElseThrow().current().orElseThrow());

    serviceUp = true;
    time.advance(Duration.ofSeconds(3));
    assertEquals(0, refresher.consecutiveFailures());
    assertNotEquals(leaf, proxy.credentials().orElseThrow().current().orElseThrow());
  }

  @Test
  void afterAnIssuerRotationTheRenewedCertificateChainsToTheNewIssuer() throws Exception {
    ProxyIdentity proxy = proxy();
    start(proxy, service());
    time.advance(Duration.ZERO);
    LeafCredentials old = proxy.credentials().orElseThrow().current().orElseThrow();
    assertEquals(ca.issuer().certificate(), old.chain().get(1));

    Ca rotated = ca.rotateIssuer(identity.ca(), time.clock);
    issuer.set(rotated.issuer());
    time.advance(Duration.ofSeconds(14));

    MeshCredentials credentials = proxy.credentials().orElseThrow();
    LeafCredentials renewed = credentials.current().orElseThrow();
    assertEquals(rotated.issuer().certificate(), renewed.chain().get(1));
    // Same anchor, same bundle: both leaves verify, so peers holding either keep working.
    credentials.bundle().verify(old.chain(), time.now);
    credentials.bundle().verify(renewed.chain(), time.now);
  }

  @Test
  void withoutItsTokenYetItIsNotReadyAndKeepsTrying() throws Exception {
    ProxyIdentity proxy = proxy();
    AtomicReference<Certifier> later = new AtomicReference<>();
    CertificateRefresher refresher = start(proxy, request -> later.get().certify(request));
    time.advance(Duration.ZERO);
    assertFalse(proxy.ready());
    assertTrue(refresher.lastFailure().contains("no identity token at "
        + WorkloadTokens.file(stateDir, "web")), refresher.lastFailure());

    later.set(service()); // the control plane starts and writes the token
    time.advance(Duration.ofSeconds(1));
    assertTrue(proxy.ready());
    assertTrue(proxy.whenCredentials().toCompletableFuture().isDone());
  }

  @Test
  void anAnswerForAnotherKeyIsRefusedAndNotInstalled() throws Exception {
    Certifier honest = service();
    ProxyIdentity proxy = proxy();
    // A CA that signs some other key for the right name.
    CertificateRefresher refresher = start(proxy, request -> honest.certify(
        LeafRequest.create(WEB).toCertifyRequest(request.token())));
    time.advance(Duration.ZERO);
    assertFalse(proxy.ready());
    assertTrue(refresher.lastFailure().contains("not for this proxy's key"),
        refresher.lastFailure());
  }

  @Test
  void aNewTrustBundleReachesTheRunningProxy() throws Exception {
    ProxyIdentity proxy = proxy();
    start(proxy, service());
    time.advance(Duration.ZERO);
    Ca next = ca.rotateAnchor(identity.ca(), time.clock);
    CaStore.saveBundle(stateDir, Ca.overlapBundle(ca, next));
    time.advance(Duration.ofSeconds(10));
    assertEquals(2, proxy.credentials().orElseThrow().bundle().anchors().size());
  }

  /** A clock the test moves, and a timer that runs what is due as it moves. */
  static final class VirtualTime implements CertificateRefresher.Timer {
    private record Task(Instant due, long seq, Runnable run, boolean[] cancelled) {}

    Instant now;
    private long seq;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) ->
        a.due().equals(b.due()) ? Long.compare(a.seq(), b.seq()) : a.due().compareTo(b.due()));
    final Clock clock = new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now;
      }
    };

    VirtualTime(Instant start) {
      now = start;
    }

    @Override
    public synchronized Runnable schedule(Duration delay, Runnable task) {
      boolean[] cancelled = {false};
      tasks.add(new Task(now.plus(delay), seq++, task, cancelled));
      return () -> cancelled[0] = true;
    }

    /** Moves the clock by {@code d}, running each task when its time comes. */
    void advance(Duration d) {
      Instant end = now.plus(d);
      while (true) {
        Task next;
        synchronized (this) {
          next = tasks.peek();
          if (next == null || next.due().isAfter(end)) {
            break;
          }
          tasks.poll();
          if (next.due().isAfter(now)) {
            now = next.due();
          }
        }
        if (!next.cancelled()[0]) {
          next.run().run();
        }
      }
      now = end;
    }
  }

}
