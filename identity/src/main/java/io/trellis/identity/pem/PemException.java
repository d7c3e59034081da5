package io.trellis.identity.pem;

/** A PEM file could not be read or written; the message names the file and the reason. */
public final class PemException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String source;

  public PemException(String source, String reason) {
    super(source + ": " + reason);
    this.source = source;
  }

  public PemException(String source, String reason, Throwable cause) {
    super(source + ": " + reason, cause);
    this.source = source;
  }

  /** The file (or other source) the problem is in. */
  public String source() {
    return source;
  }
}
