package io.trellis.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One validated YAML document: a ServiceProfile or a TrafficSplit, with the text it was read from
 * (what {@code trellis get -o yaml} shows and what the control plane stores when it is applied).
 *
 * @param profile the ServiceProfile, when {@code kind} is {@link Kind#SERVICE_PROFILE}, else null
 * @param split the TrafficSplit, when {@code kind} is {@link Kind#TRAFFIC_SPLIT}, else null
 * @param yaml the document as written (from its first key to its last value)
 * @param file the file it was read from, as shown in messages
 * @param line the 1-based line the document starts on
 */
public record ResourceDocument(
    Kind kind,
    String name,
    String namespace,
    ServiceProfile profile,
    TrafficSplit split,
    String yaml,
    Path file,
    int line) {

  public ResourceDocument {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(yaml, "yaml");
    if ((kind == Kind.SERVICE_PROFILE) != (profile != null)
        || (kind == Kind.TRAFFIC_SPLIT) != (split != null)) {
      throw new IllegalArgumentException(kind + " " + name + ": exactly one resource, of its kind");
    }
  }

  /** The kinds a mesh takes, with the names kubectl and linkerd users type for them. */
  public enum Kind {
    SERVICE_PROFILE("ServiceProfile", "sp", "serviceprofile", "serviceprofiles"),
    TRAFFIC_SPLIT("TrafficSplit", "ts", "trafficsplit", "trafficsplits");

    private final String kindName;
    private final String[] aliases;

    Kind(String kindName, String... aliases) {
      this.kindName = kindName;
      this.aliases = aliases;
    }

    /** As in a document's {@code kind:} field. */
    public String kindName() {
      return kindName;
    }

    /** The short name ({@code sp}, {@code ts}). */
    public String shortName() {
      return aliases[0];
    }

    /** A kind from what a user typed: {@code sp}, {@code ServiceProfile}, {@code trafficsplits}. */
    public static Optional<Kind> parse(String text) {
      String t = text.toLowerCase(Locale.ROOT);
      for (Kind k : values()) {
        for (String a : k.aliases) {
          if (a.equals(t)) {
            return Optional.of(k);
          }
        }
      }
      return Optional.empty();
    }

    public static Optional<Kind> ofKindName(String kindName) {
      for (Kind k : values()) {
        if (k.kindName.equals(kindName)) {
          return Optional.of(k);
        }
      }
      return Optional.empty();
    }
  }
}
