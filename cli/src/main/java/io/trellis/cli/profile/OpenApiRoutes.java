package io.trellis.cli.profile;

import io.trellis.cli.profile.GeneratedProfile.ResponseClass;
import io.trellis.cli.profile.GeneratedProfile.Route;
import io.trellis.config.KubernetesFormats;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Routes from an OpenAPI spec, Swagger 2.0 or OpenAPI 3.x, in JSON or YAML, as Linkerd's {@code
 * linkerd profile --open-api} makes them: one route per path and method, named {@code GET
 * /books/{id}}, with the path template as a regex ({@code /books/[^/]*}) under the spec's base
 * path; one response class per documented status (5xx are failures); and Linkerd's vendor
 * extensions on an operation, {@code x-linkerd-retryable: true} and {@code x-linkerd-timeout:
 * 300ms}.
 *
 * <p>snakeyaml reads both formats (JSON is YAML's flow style) and keeps line numbers, so every
 * error names the file, line and key path; only the fields routes need are read, the rest of the
 * spec is not validated.
 */
public final class OpenApiRoutes {
  // Operation keys of a Path Item object; every other key (parameters, summary, $ref, x-...) is
  // not an operation.
  private static final Set<String> METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final String RETRYABLE = "x-linkerd-retryable";
  private static final String TIMEOUT = "x-linkerd-timeout";
  private static final Pattern STATUS = Pattern.compile("[1-5]([0-9][0-9]|XX)");
  private static final Pattern SCHEME_AND_HOST = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://[^/]*");

  private final String source;

  private OpenApiRoutes(String source) {
    this.source = source;
  }

  /**
   * Reads {@code text}; {@code source} names it in errors.
   *
   * @throws SourceException naming the file, line and key path at fault
   */
  public static List<Route> read(String source, String text) {
    return new OpenApiRoutes(source).routes(text);
  }

  private List<Route> routes(String text) {
    Node root = parse(text);
    if (root == null) {
      throw new SourceException(source, -1, "", "empty file; expected an OpenAPI spec");
    }
    Map<String, NodeTuple> spec = object(root, "");
    String base = basePath(spec);
    NodeTuple paths = spec.get("paths");
    if (paths == null || isNull(paths.getValueNode())) {
      throw fail(root, "paths", "missing; an OpenAPI spec lists its operations under \"paths\"");
    }
    List<Route> routes = new ArrayList<>();
    for (NodeTuple p : object(paths.getValueNode(), "paths").values()) {
      String template = scalar(p.getKeyNode(), "paths");
      String at = "paths." + template;
      if (!template.startsWith("/")) {
        throw fail(p.getKeyNode(), at, "a path must start with \"/\"");
      }
      String path = base + template;
      for (Map.Entry<String, NodeTuple> op : object(p.getValueNode(), at).entrySet()) {
        if (METHODS.contains(op.getKey())) {
          routes.add(route(path, op.getKey().toUpperCase(Locale.ROOT), op.getValue(), at));
        }
      }
    }
    routes.sort(Route.ORDER);
    return routes;
  }

  private Route route(String path, String method, NodeTuple operation, String pathAt) {
    String at = pathAt + "." + ((ScalarNode) operation.getKeyNode()).getValue();
    Map<String, NodeTuple> op = object(operation.getValueNode(), at);
    boolean retryable = false;
    NodeTuple r = op.get(RETRYABLE);
    if (r != null && !isNull(r.getValueNode())) {
      Node n = r.getValueNode();
      if (!n.getTag().equals(Tag.BOOL)) {
        throw fail(n, at + "." + RETRYABLE, "expected true or false, got " + describe(n));
      }
      retryable = Boolean.parseBoolean(((ScalarNode) n).getValue().toLowerCase(Locale.ROOT));
    }
    String timeout = null;
    NodeTuple t = op.get(TIMEOUT);
    if (t != null && !isNull(t.getValueNode())) {
      timeout = scalar(t.getValueNode(), at + "." + TIMEOUT);
      try {
        KubernetesFormats.duration(timeout);
      } catch (IllegalArgumentException e) {
        throw fail(t.getValueNode(), at + "." + TIMEOUT, e.getMessage());
      }
    }
    List<ResponseClass> classes = new ArrayList<>();
    NodeTuple responses = op.get("responses");
    if (responses != null && !isNull(responses.getValueNode())) {
      for (Map.Entry<String, NodeTuple> e :
          object(responses.getValueNode(), at + ".responses").entrySet()) {
        responseClass(e.getKey()).ifPresent(classes::add);
      }
      classes.sort(Comparator.comparingInt(ResponseClass::min));
    }
    return new Route(
        method + " " + path, method, PathTemplates.toRegex(path), classes, retryable, timeout);
  }

  /**
   * A documented status ("404") or OpenAPI 3 range ("5XX") as a class; 5xx are failures, as
   * Linkerd generates them. "default" and extensions document no status.
   */
  private static Optional<ResponseClass> responseClass(String key) {
    Matcher m = STATUS.matcher(key.toUpperCase(Locale.ROOT));
    if (!m.matches()) {
      return Optional.empty();
    }
    int hundreds = key.charAt(0) - '0';
    if (m.group(1).equals("XX")) {
      return Optional.of(
          new ResponseClass(hundreds * 100, hundreds * 100 + 99, hundreds == 5));
    }
    int status = Integer.parseInt(key);
    return Optional.of(new ResponseClass(status, status, status >= 500));
  }

  /**
   * Where the paths live: Swagger 2's {@code basePath}, or the path of OpenAPI 3's first server
   * URL ({@code https://api.example.com/v1} gives {@code /v1}); "" for the root.
   */
  private String basePath(Map<String, NodeTuple> spec) {
    String base;
    if (spec.containsKey("swagger")) {
      String version = scalar(spec.get("swagger").getValueNode(), "swagger");
      if (!version.startsWith("2.")) {
        throw fail(spec.get("swagger").getValueNode(), "swagger",
            "unsupported version \"" + version + "\"; expected \"2.0\" (or openapi: 3.x)");
      }
      NodeTuple b = spec.get("basePath");
      base = b == null || isNull(b.getValueNode()) ? "" : scalar(b.getValueNode(), "basePath");
      if (!base.isEmpty() && !base.startsWith("/")) {
        throw fail(b.getValueNode(), "basePath", "a base path must start with \"/\"");
      }
    } else if (spec.containsKey("openapi")) {
      String version = scalar(spec.get("openapi").getValueNode(), "openapi");
      if (!version.startsWith("3.")) {
        throw fail(spec.get("openapi").getValueNode(), "openapi",
            "unsupported version \"" + version + "\"; expected 3.x (or swagger: \"2.0\")");
      }
      base = serverPath(spec.get("servers"));
    } else {
      throw new SourceException(source, -1, "",
          "not an OpenAPI spec: expected a \"swagger: \\\"2.0\\\"\" or \"openapi: 3.x\" field");
    }
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }

  private String serverPath(NodeTuple servers) {
    if (servers == null || isNull(servers.getValueNode())) {
      return "";
    }
    if (!(servers.getValueNode() instanceof SequenceNode list)) {
      throw fail(servers.getValueNode(), "servers",
          "expected an array, got " + describe(servers.getValueNode()));
    }
    if (list.getValue().isEmpty()) {
      return "";
    }
    NodeTuple url = object(list.getValue().get(0), "servers[0]").get("url");
    if (url == null) {
      return "";
    }
    String path = SCHEME_AND_HOST.matcher(scalar(url.getValueNode(), "servers[0].url"))
        .replaceFirst("");
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  private Node parse(String text) {
    // YAML forbids tabs as indentation, JSON files are often indented with them. Raw tabs cannot
    // occur inside JSON strings (they must be escaped), so in JSON they are just spaces.
    if (text.stripLeading().startsWith("{")) {
      text = text.replace('\t', ' ');
    }
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(64 * 1024 * 1024); // large specs exist; the default is 3 MB
    try {
      return new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : -1;
      String context = e.getContext() == null ? "" : e.getContext() + ": ";
      throw new SourceException(source, line, "", "malformed JSON/YAML: " + context + e.getProblem());
    } catch (YAMLException e) {
      throw new SourceException(source, -1, "", "malformed JSON/YAML: " + e.getMessage());
    }
  }

  /** The fields of a JSON object, in order; fails on a non-object or a duplicate key. */
  private Map<String, NodeTuple> object(Node n, String at) {
    if (!(n instanceof MappingNode mapping)) {
      throw fail(n, at, "expected an object, got " + describe(n));
    }
    Map<String, NodeTuple> fields = new LinkedHashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      String key = scalar(t.getKeyNode(), at);
      NodeTuple previous = fields.put(key, t);
      if (previous != null) {
        throw fail(t.getKeyNode(), child(at, key),
            "duplicate key; first set on line " + line(previous.getKeyNode()));
      }
    }
    return fields;
  }

  private String scalar(Node n, String at) {
    if (!(n instanceof ScalarNode s) || isNull(n)) {
      throw fail(n, at, "expected a string, got " + describe(n));
    }
    return s.getValue();
  }

  private static String child(String at, String key) {
    return at.isEmpty() ? key : at + "." + key;
  }

  private SourceException fail(Node n, String at, String reason) {
    return new SourceException(source, line(n), at, reason);
  }

  private static int line(Node n) {
    return n == null || n.getStartMark() == null ? -1 : n.getStartMark().getLine() + 1;
  }

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode && n.getTag().equals(Tag.NULL);
  }

  private static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "an object";
    }
    if (n instanceof SequenceNode) {
      return "an array";
    }
    String v = ((ScalarNode) n).getValue();
    Tag t = n.getTag();
    if (t.equals(Tag.NULL)) {
      return "null";
    }
    if (t.equals(Tag.BOOL) || t.equals(Tag.INT) || t.equals(Tag.FLOAT)) {
      return v;
    }
    return "the string \"" + v + "\"";
  }
}
