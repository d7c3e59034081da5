package io.trellis.proxy.identity;

import java.time.Instant;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;

/**
 * The proxy's identity metrics (Prometheus text on admin /metrics):
 * {@code identity_cert_expiration_timestamp_seconds} (the current leaf's notAfter),
 * {@code identity_cert_refresh_total{result="success"|"failure"}}, and the warning gauge
 * {@code identity_cert_refresh_failing}: how many attempts in a row have failed (0 when the last
 * one succeeded). Alert on it before the expiration timestamp comes close.
 */
class IdentityMetrics {
  static final String EXPIRATION = "identity_cert_expiration_timestamp_seconds";
  static final String REFRESH = "identity_cert_refresh_total";
  static final String FAILING = "identity_cert_refresh_failing";

  /** Records nowhere: for tests that read the refresher's own counts. */
  static final IdentityMetrics NONE = new IdentityMetrics(false);

  private final Gauge expiration;
  private final Counter successes;
  private final Counter failures;
  private final Gauge failing;

  IdentityMetrics() {
    this(true);
  }

  private IdentityMetrics(boolean kamon) {
    if (kamon) {
      expiration = Kamon.gauge(EXPIRATION).withoutTags();
      successes = Kamon.counter(REFRESH).withTag("result", "success");
      failures = Kamon.counter(REFRESH).withTag("result", "failure");
      failing = Kamon.gauge(FAILING).withoutTags();
    } else {
      expiration = null;
      successes = null;
      failures = null;
      failing = null;
    }
  }

  void refreshed(Instant notAfter) {
    if (expiration != null) {
      expiration.update(notAfter.getEpochSecond());
      successes.increment();
      failing.update(0);
    }
  }

  void failed(int consecutive) {
    if (failures != null) {
      failures.increment();
      failing.update(consecutive);
    }
  }
}
