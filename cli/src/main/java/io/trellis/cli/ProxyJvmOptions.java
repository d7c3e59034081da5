package io.trellis.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JVM options of a {@code trellis proxy} process, from {@code proxy-jvm.options} beside this
 * class: the one list the {@code ./trellis} launcher, {@code trellis demo} and the end-to-end
 * tests all start proxies with (the file says why each option is there).
 */
public final class ProxyJvmOptions {
  private static final String RESOURCE = "proxy-jvm.options";

  private ProxyJvmOptions() {}

  /** The options, in file order, without comments and blank lines. */
  public static List<String> load() {
    try (InputStream in = ProxyJvmOptions.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
