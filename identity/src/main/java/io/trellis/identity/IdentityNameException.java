package io.trellis.identity;

/** An identity name, or one of its parts, is malformed; the message says which part and why. */
public final class IdentityNameException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public IdentityNameException(String message) {
    super(message);
  }
}
