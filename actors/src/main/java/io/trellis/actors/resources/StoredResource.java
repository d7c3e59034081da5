package io.trellis.actors.resources;

import io.trellis.config.ResourceDocument.Kind;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One applied resource (or the record that it was deleted) as replicated between nodes and kept
 * in a node's state directory. Its text is its encoding: a header comment, then the YAML document
 * as applied, so a stored file is itself valid YAML a user can read.
 *
 * <pre>
 * # trellis: ServiceProfile web-svc.demo.svc.cluster.local applied 1764021600123
 * apiVersion: linkerd.io/v1alpha2
 * ...
 * </pre>
 *
 * @param atMillis when it was applied or deleted; the later of two versions wins everywhere
 * @param yaml the document; empty for a deletion
 */
record StoredResource(Kind kind, String name, boolean deleted, long atMillis, String yaml) {
  private static final Pattern HEADER =
      Pattern.compile("# trellis: (\\S+) (\\S+) (applied|deleted) (\\d+)\\n");

  /** The replication key, also the file name's stem: {@code sp--web-svc.demo.svc.cluster.local}. */
  static String key(Kind kind, String name) {
    return kind.shortName() + "--" + name;
  }

  String key() {
    return key(kind, name);
  }

  String encode() {
    return "# trellis: " + kind.kindName() + " " + name + " " + (deleted ? "deleted" : "applied")
        + " " + atMillis + "\n" + yaml;
  }

  /** Reads {@link #encode()}'s text; empty if it is not one (a stray file). */
  static Optional<StoredResource> decode(String text) {
    Matcher m = HEADER.matcher(text);
    if (!m.lookingAt()) {
      return Optional.empty();
    }
    Optional<Kind> kind = Kind.ofKindName(m.group(1));
    if (kind.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new StoredResource(kind.get(), m.group(2), m.group(3).equals("deleted"),
        Long.parseLong(m.group(4)), text.substring(m.end())));
  }
}
