package io.trellis.tests.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Command output compared with a golden file in src/test/resources/golden/, what varies from run to
 * run masked: addresses and ports (IP:PORT), ids (ID), latencies, durations and ages in any unit
 * (T), other numbers (counts, rates, percentages, sizes: N) and runs of spaces (column widths
 * follow the numbers). HTTP statuses ({@code :status=500}) stay: they are what a user looks for. The golden file holds the masked
 * text, so a review of its diff shows only what a user would notice. As Linkerd's {@code go test
 * -update}: {@code -Dtrellis.golden.update=true} rewrites the files instead of comparing.
 */
public final class Golden {
  private static final Path SOURCES = Path.of("src", "test", "resources", "golden");

  private Golden() {}

  /** {@code text} with the varying parts masked, lines trimmed, runs of spaces as one. */
  public static String mask(String text) {
    return text.lines()
        .map(l -> l
            .replaceAll("\\b\\d{1,3}(\\.\\d{1,3}){3}(:\\d+)?\\b", "IP:PORT")
            .replaceAll("\\b(id=)\\d+:\\d+", "$1ID")
            .replaceAll("(?<![\\w.])\\d+(\\.\\d+)?(µs|ms|s|m|h|d)\\b", "T")
            .replaceAll("(?<!:status=)(?<![\\d.])\\d+(\\.\\d+)?", "N")
            .strip()
            .replaceAll("\\s+", " "))
        .reduce("", (a, b) -> a + b + "\n");
  }

  /** Asserts that masked {@code actual} is golden file {@code name} (or rewrites the file). */
  public static void assertMatches(String name, String actual) {
    String masked = mask(actual);
    if (Boolean.getBoolean("trellis.golden.update")) {
      try {
        Path file = SOURCES.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, masked, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("rewriting golden file " + name, e);
      }
      return;
    }
    String expected;
    try (InputStream in = Golden.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new AssertionError("no golden file " + name + " (create it with -Dtrellis.golden.update=true)");
      }
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading golden file " + name, e);
    }
    assertEquals(mask(expected), masked, () -> name + " differs; the output was:\n" + actual);
  }
}
