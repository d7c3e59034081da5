package io.trellis.identity.csr;

/** The CA refused to sign a CSR. The message is meant for the requesting proxy's log. */
public final class IssuanceException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why; {@link #retryable()} tells a proxy whether asking again unchanged may succeed. */
  public enum Reason {
    /** The requested identity is not a valid identity name. */
    BAD_IDENTITY(false),
    /** The token proves no identity. */
    TOKEN_INVALID(false),
    /** The token could not be checked right now. */
    TOKEN_UNAVAILABLE(true),
    /** The token proves another identity than the one requested. */
    TOKEN_MISMATCH(false),
    /** The CSR cannot be parsed or its signature does not verify. */
    BAD_CSR(false),
    /** The CSR's key is not ECDSA P-256. */
    UNSUPPORTED_KEY(false),
    /** The CSR does not carry exactly one DNS SAN, equal to the requested identity. */
    SAN_MISMATCH(false),
    /** The issuer has expired; an operator must rotate it (retrying helps once they have). */
    ISSUER_EXPIRED(true),
    /** The issuer is not valid yet (the control plane's clock is behind?). */
    ISSUER_NOT_YET_VALID(true);

    private final boolean retryable;

    Reason(boolean retryable) {
      this.retryable = retryable;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final Reason reason;

  public IssuanceException(Reason reason, String message) {
    this(reason, message, null);
  }

  public IssuanceException(Reason reason, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
