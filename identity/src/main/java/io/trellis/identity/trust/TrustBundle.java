package io.trellis.identity.trust;

import io.trellis.identity.pem.Pem;
import io.trellis.identity.pem.PemException;
import io.trellis.identity.x509.Certificates;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** One or more trust anchors; immutable. */
public final class TrustBundle {

  private final List<X509Certificate> anchors;
  private final Set<TrustAnchor> pkixAnchors;

  private TrustBundle(List<X509Certificate> anchors) {
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("a trust bundle needs at least one anchor");
    }
    this.anchors = List.copyOf(new LinkedHashSet<>(anchors));
    this.pkixAnchors = this.anchors.stream()
        .map(a -> new TrustAnchor(a, null))
        .collect(Collectors.toUnmodifiableSet());
  }

  public static TrustBundle of(X509Certificate... anchors) {
    return new TrustBundle(Arrays.asList(anchors));
  }

  public static TrustBundle of(List<X509Certificate> anchors) {
    return new TrustBundle(anchors);
  }

  /** Reads a bundle from a PEM file of one or more CERTIFICATE blocks. */
  public static TrustBundle read(Path file) throws PemException {
    return new TrustBundle(Pem.readCertificates(file));
  }

  /** The anchors, in the order given, without duplicates. */
  public List<X509Certificate> anchors() {
    return anchors;
  }

  /** This bundle with one more anchor (the first step of an anchor rotation). */
  public TrustBundle plus(X509Certificate anchor) {
    List<X509Certificate> more = new ArrayList<>(anchors);
    more.add(anchor);
    return new TrustBundle(more);
  }

  /** This bundle without an anchor (the last step of an anchor rotation). */
  public TrustBundle minus(X509Certificate anchor) {
    List<X509Certificate> fewer = new ArrayList<>(anchors);
    fewer.remove(anchor);
    return new TrustBundle(fewer);
  }

  public boolean contains(X509Certificate anchor) {
    return anchors.contains(anchor);
  }

  /** The PEM text of all anchors. */
  public String toPem() {
    return Pem.encode(anchors);
  }

  /**
   * Verifies a chain (leaf first, then intermediates; a trailing anchor is ignored) against
   * the bundle at a given time.
   *
   * @return the leaf
   */
  public X509Certificate verify(List<X509Certificate> chain, Instant at)
      throws ChainVerificationException {
    if (chain == null || chain.isEmpty()) {
      throw new ChainVerificationException(ChainVerificationException.Reason.INVALID,
          "no certificate presented", null);
    }
    List<X509Certificate> path = new ArrayList<>(chain);
    // Peers may append the anchor itself; PKIX wants the path without it.
    while (path.size() > 1 && anchors.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(pkixAnchors);
      // Revocation is by short leaf lifetimes (24 h), not CRLs or OCSP, as in Linkerd.
      params.setRevocationEnabled(false);
      params.setDate(Date.from(at));
      CertPathValidator.getInstance("PKIX").validate(certPath, params);
      return chain.get(0);
    } catch (CertPathValidatorException e) {
      throw translate(e, path);
    } catch (InvalidAlgorithmParameterException e) {
      throw new IllegalStateException("trust bundle rejected by PKIX", e);
    } catch (GeneralSecurityException e) {
      throw new ChainVerificationException(ChainVerificationException.Reason.INVALID,
          "cannot verify chain: " + e.getMessage(), e);
    }
  }

  private static ChainVerificationException translate(
      CertPathValidatorException e, List<X509Certificate> path) {
    int index = e.getIndex();
    String which = index >= 0 && index < path.size()
        ? "certificate " + Certificates.describe(path.get(index))
        : "chain of " + Certificates.describe(path.get(0));
    ChainVerificationException.Reason reason;
    if (e.getReason() == BasicReason.EXPIRED) {
      reason = ChainVerificationException.Reason.EXPIRED;
    } else if (e.getReason() == BasicReason.NOT_YET_VALID) {
      reason = ChainVerificationException.Reason.NOT_YET_VALID;
    } else if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
      reason = ChainVerificationException.Reason.UNTRUSTED;
    } else {
      reason = ChainVerificationException.Reason.INVALID;
    }
    String what = switch (reason) {
      case EXPIRED -> "has expired";
      case NOT_YET_VALID -> "is not valid yet";
      case UNTRUSTED -> "is not signed by any trust anchor of the bundle";
      case INVALID -> "is invalid: " + e.getMessage();
    };
    return new ChainVerificationException(reason, which + " " + what, e);
  }

  @Override
  public String toString() {
    return "TrustBundle" + anchors.stream().map(Certificates::describe).toList();
  }
}
