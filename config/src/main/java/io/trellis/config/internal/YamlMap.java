package io.trellis.config.internal;

import io.trellis.config.MeshConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML mapping from snakeyaml's composed tree, with its field path ({@code
 * spec.routes[0].condition}), so that every read fails with the file, line and path at fault.
 */
public final class YamlMap {
  private final Path file;
  private final String path;
  private final Node node;
  private final Map<String, NodeTuple> fields = new LinkedHashMap<>();

  /** Wraps {@code node}, failing unless it is a mapping with distinct scalar keys. */
  public YamlMap(Path file, String path, Node node) {
    this.file = file;
    this.path = path;
    this.node = node;
    if (!(node instanceof MappingNode mapping)) {
      throw fail(node, path, "expected a mapping (key: value), got " + describe(node));
    }
    for (NodeTuple t : mapping.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode key)) {
        throw fail(t.getKeyNode(), path, "keys must be plain strings");
      }
      NodeTuple previous = fields.put(key.getValue(), t);
      if (previous != null) {
        throw fail(
            key,
            child(key.getValue()),
            "duplicate key; first set on line " + line(previous.getKeyNode()));
      }
    }
  }

  public Path file() {
    return file;
  }

  public String path() {
    return path;
  }

  public Node node() {
    return node;
  }

  /** Fails on the first key not in {@code known}, suggesting the closest known key. */
  public void allowOnly(Set<String> known) {
    for (Map.Entry<String, NodeTuple> e : fields.entrySet()) {
      if (!known.contains(e.getKey())) {
        throw fail(
            e.getValue().getKeyNode(),
            child(e.getKey()),
            Typos.unknownKey(e.getKey(), known.stream().sorted().toList()));
      }
    }
  }

  /** The value of {@code key}, absent when missing or explicitly null ("key:" or "key: null"). */
  public Optional<Node> get(String key) {
    NodeTuple t = fields.get(key);
    if (t == null || isNull(t.getValueNode())) {
      return Optional.empty();
    }
    return Optional.of(t.getValueNode());
  }

  public Node required(String key) {
    return get(key).orElseThrow(() -> fail(node, child(key), "missing; this field is required"));
  }

  public YamlMap map(String key) {
    return new YamlMap(file, child(key), required(key));
  }

  public Optional<YamlMap> optionalMap(String key) {
    return get(key).map(n -> new YamlMap(file, child(key), n));
  }

  public String string(String key) {
    return asString(required(key), child(key));
  }

  public Optional<String> optionalString(String key) {
    return get(key).map(n -> asString(n, child(key)));
  }

  /** A scalar's text; numbers are accepted as text since YAML users rarely quote them. */
  public String asString(Node n, String at) {
    if (!(n instanceof ScalarNode s) || n.getTag().equals(Tag.BOOL)) {
      throw fail(n, at, "expected a string, got " + describe(n));
    }
    if (s.getValue().isBlank()) {
      throw fail(n, at, "expected a non-empty string");
    }
    return s.getValue();
  }

  public boolean bool(String key, boolean fallback) {
    Optional<Node> n = get(key);
    if (n.isEmpty()) {
      return fallback;
    }
    if (!n.get().getTag().equals(Tag.BOOL)) {
      throw fail(n.get(), child(key), "expected true or false, got " + describe(n.get()));
    }
    // YAML 1.1 (snakeyaml, and Kubernetes' go-yaml) also spells booleans yes/no and on/off.
    return Set.of("true", "yes", "on")
        .contains(((ScalarNode) n.get()).getValue().toLowerCase(Locale.ROOT));
  }

  /** An integer written as a YAML int. */
  public long integer(Node n, String at) {
    if (!n.getTag().equals(Tag.INT)) {
      throw fail(n, at, "expected an integer, got " + describe(n));
    }
    try {
      return Long.parseLong(((ScalarNode) n).getValue().replace("_", ""));
    } catch (NumberFormatException e) {
      throw fail(n, at, "expected a decimal integer, got " + describe(n));
    }
  }

  public double number(Node n, String at) {
    if (!n.getTag().equals(Tag.INT) && !n.getTag().equals(Tag.FLOAT)) {
      throw fail(n, at, "expected a number, got " + describe(n));
    }
    try {
      return Double.parseDouble(((ScalarNode) n).getValue().replace("_", ""));
    } catch (NumberFormatException e) {
      throw fail(n, at, "expected a decimal number, got " + describe(n));
    }
  }

  /** The elements of a sequence with their paths {@code key[i]}; empty when absent. */
  public List<Element> list(String key) {
    Optional<Node> n = get(key);
    if (n.isEmpty()) {
      return List.of();
    }
    if (!(n.get() instanceof SequenceNode seq)) {
      throw fail(n.get(), child(key), "expected a list, got " + describe(n.get()));
    }
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      out.add(new Element(seq.getValue().get(i), child(key) + "[" + i + "]"));
    }
    return out;
  }

  /** A sequence element and its path. */
  public record Element(Node node, String path) {}

  public String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public YamlMap asMap(Node n, String at) {
    return new YamlMap(file, at, n);
  }

  public MeshConfigException fail(Node at, String fieldPath, String reason) {
    return new MeshConfigException(file, line(at), fieldPath, reason);
  }

  public MeshConfigException fail(String key, String reason) {
    return fail(get(key).orElse(node), child(key), reason);
  }

  public static int line(Node n) {
    return n == null || n.getStartMark() == null ? -1 : n.getStartMark().getLine() + 1;
  }

  static boolean isNull(Node n) {
    return n instanceof ScalarNode && n.getTag().equals(Tag.NULL);
  }

  static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    String v = ((ScalarNode) n).getValue();
    Tag t = n.getTag();
    if (t.equals(Tag.NULL)) {
      return "null";
    }
    if (t.equals(Tag.BOOL)) {
      return "the boolean " + v;
    }
    if (t.equals(Tag.INT) || t.equals(Tag.FLOAT)) {
      return "the number " + v;
    }
    return "the string \"" + v + "\"";
  }
}
