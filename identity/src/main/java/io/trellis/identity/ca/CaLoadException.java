package io.trellis.identity.ca;

import java.nio.file.Path;

/** A CA could not be loaded; names the file at fault and why. */
public final class CaLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the file. */
  public enum Reason {
    /** Missing, unreadable, not PEM, or holding the wrong kind of block. */
    UNREADABLE,
    /** The certificate is not a CA certificate (no basicConstraints CA:true or no keyCertSign). */
    NOT_A_CA,
    /** The private key does not belong to the certificate. */
    KEY_MISMATCH,
    /** The key is not ECDSA P-256. */
    UNSUPPORTED_KEY,
    /** The certificate has expired. */
    EXPIRED,
    /** The certificate is not valid yet. */
    NOT_YET_VALID,
    /** The issuer certificate is not signed by the trust anchor. */
    NOT_SIGNED_BY_ANCHOR,
    /** The state directory holds part of a CA: refuse to overwrite or guess. */
    INCOMPLETE
  }

  private final transient Path file;
  private final Reason reason;

  public CaLoadException(Path file, Reason reason, String message) {
    this(file, reason, message, null);
  }

  public CaLoadException(Path file, Reason reason, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  public Reason reason() {
    return reason;
  }
}
