package io.trellis.identity.trust;

/** A certificate chain did not verify against a trust bundle. */
public final class ChainVerificationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why the chain was refused. */
  public enum Reason {
    /** A certificate of the chain (or the anchor) has expired. */
    EXPIRED,
    /** A certificate of the chain is not valid yet (clock skew beyond the allowance?). */
    NOT_YET_VALID,
    /** The chain does not lead to any anchor of the bundle. */
    UNTRUSTED,
    /** The chain is malformed: bad signature, a CA constraint broken, no certificate. */
    INVALID
  }

  private final Reason reason;

  public ChainVerificationException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
