package io.trellis.cli.profile;

/**
 * A profile source (an OpenAPI spec, a .proto file) is unusable. The message reads like a
 * compiler's and like the config module's: {@code api.yaml:12: paths./books/{id}: expected an
 * object, got a list}.
 */
public final class SourceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param source the file as the user named it ("-" is standard input)
   * @param line 1-based, or -1 when unknown or for the whole file
   * @param key the field path at fault, or "" for none
   */
  public SourceException(String source, int line, String key, String reason) {
    super(
        source
            + (line > 0 ? ":" + line : "")
            + ": "
            + (key == null || key.isEmpty() ? "" : key + ": ")
            + reason);
  }
}
