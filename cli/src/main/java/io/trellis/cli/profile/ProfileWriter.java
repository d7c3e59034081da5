package io.trellis.cli.profile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Prints a {@link GeneratedProfile} as a ServiceProfile (linkerd.io/v1alpha2) document, in YAML
 * (snakeyaml quotes whatever needs quoting, such as a regex starting with '[') or JSON. Fields
 * that would only restate a default are left out, as Linkerd does.
 */
public final class ProfileWriter {
  /** The output formats of {@code -o}. */
  public enum Format {
    YAML,
    JSON
  }

  private ProfileWriter() {}

  public static String write(GeneratedProfile profile, Format format) {
    Map<String, Object> doc = document(profile);
    return format == Format.YAML ? yaml(doc) : json(doc);
  }

  /** A tree of maps, lists, strings, numbers and booleans as indented JSON, newline-terminated. */
  static String json(Map<String, Object> doc) {
    return json(doc, "") + "\n";
  }

  static Map<String, Object> document(GeneratedProfile profile) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("name", profile.fqdn());
    metadata.put("namespace", profile.namespace());
    List<Object> routes = new ArrayList<>();
    for (GeneratedProfile.Route r : profile.routes()) {
      routes.add(route(r));
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", "linkerd.io/v1alpha2");
    doc.put("kind", "ServiceProfile");
    doc.put("metadata", metadata);
    doc.put("spec", Map.of("routes", routes));
    return doc;
  }

  private static Map<String, Object> route(GeneratedProfile.Route r) {
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("method", r.method());
    condition.put("pathRegex", r.pathRegex());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", r.name());
    out.put("condition", condition);
    if (!r.responseClasses().isEmpty()) {
      List<Object> classes = new ArrayList<>();
      for (GeneratedProfile.ResponseClass c : r.responseClasses()) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("min", c.min());
        status.put("max", c.max());
        Map<String, Object> cls = new LinkedHashMap<>();
        cls.put("condition", Map.of("status", status));
        cls.put("isFailure", c.failure());
        classes.add(cls);
      }
      out.put("responseClasses", classes);
    }
    if (r.retryable()) {
      out.put("isRetryable", true);
    }
    if (r.timeout() != null) {
      out.put("timeout", r.timeout());
    }
    return out;
  }

  private static String yaml(Map<String, Object> doc) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndent(2);
    options.setWidth(Integer.MAX_VALUE); // a long regex stays on one line
    return new Yaml(options).dump(doc);
  }

  private static String json(Object value, String indent) {
    String inner = indent + "  ";
    if (value instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        return "{}";
      }
      List<String> fields = new ArrayList<>();
      map.forEach((k, v) -> fields.add(inner + string(k.toString()) + ": " + json(v, inner)));
      return "{\n" + String.join(",\n", fields) + "\n" + indent + "}";
    }
    if (value instanceof List<?> list) {
      if (list.isEmpty()) {
        return "[]";
      }
      List<String> items = new ArrayList<>();
      list.forEach(v -> items.add(inner + json(v, inner)));
      return "[\n" + String.join(",\n", items) + "\n" + indent + "]";
    }
    if (value instanceof String s) {
      return string(s);
    }
    return String.valueOf(value); // numbers and booleans
  }

  /** A JSON string literal (RFC 8259 escapes). */
  private static String string(String s) {
    return io.trellis.demo.Json.str(s);
  }
}
