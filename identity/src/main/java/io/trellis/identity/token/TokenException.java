package io.trellis.identity.token;

/** A token was refused, or could not be checked. */
public final class TokenException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Reason {
    /** The token is unknown, empty, expired or malformed: it proves no identity. */
    INVALID,
    /** The token could not be checked right now (e.g. the Kubernetes API is unreachable). */
    UNAVAILABLE
  }

  private final Reason reason;

  public TokenException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public TokenException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
