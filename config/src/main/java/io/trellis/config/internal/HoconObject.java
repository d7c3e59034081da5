package io.trellis.config.internal;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.trellis.config.MeshConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A HOCON object together with its key path, so that every read can fail with the file, line and
 * path of the value at fault.
 */
public record HoconObject(Path file, String path, ConfigObject object) {

  /** Fails on the first key not in {@code known}, suggesting the closest known key. */
  public void allowOnly(Set<String> known) {
    for (String key : object.keySet()) {
      if (!known.contains(key)) {
        throw fail(object.get(key), child(key), Typos.unknownKey(key, sorted(known)));
      }
    }
  }

  public Set<String> keys() {
    return object.keySet();
  }

  public boolean has(String key) {
    return object.containsKey(key);
  }

  public ConfigValue value(String key) {
    ConfigValue v = object.get(key);
    if (v == null) {
      throw fail(object, child(key), "missing; this key is required");
    }
    if (v.valueType() == ConfigValueType.NULL) {
      throw fail(v, child(key), "expected a value, got null");
    }
    return v;
  }

  public HoconObject object(String key) {
    return asObject(value(key), child(key));
  }

  public HoconObject asObject(ConfigValue v, String at) {
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw fail(v, at, "expected an object { ... }, got " + describe(v));
    }
    return new HoconObject(file, at, (ConfigObject) v);
  }

  public String string(String key) {
    ConfigValue v = value(key);
    return asString(v, child(key));
  }

  public String string(String key, String fallback) {
    return has(key) ? string(key) : fallback;
  }

  public String asString(ConfigValue v, String at) {
    if (v.valueType() != ConfigValueType.STRING) {
      throw fail(v, at, "expected a string, got " + describe(v));
    }
    String s = ((String) v.unwrapped()).trim();
    if (s.isEmpty()) {
      throw fail(v, at, "expected a non-empty string");
    }
    return s;
  }

  /** A port: a number, or a string of digits (HOCON users often quote numbers). */
  public int port(String key) {
    return asPort(value(key), child(key));
  }

  public int asPort(ConfigValue v, String at) {
    if (v.valueType() != ConfigValueType.NUMBER && v.valueType() != ConfigValueType.STRING) {
      throw fail(v, at, "expected a port number 1..65535, got " + describe(v));
    }
    try {
      return Addresses.port(String.valueOf(v.unwrapped()));
    } catch (IllegalArgumentException e) {
      throw fail(v, at, e.getMessage());
    }
  }

  /** A number (or a string holding one). */
  public double number(String key) {
    ConfigValue v = value(key);
    if (v.valueType() == ConfigValueType.NUMBER) {
      return ((Number) v.unwrapped()).doubleValue();
    }
    if (v.valueType() == ConfigValueType.STRING) {
      try {
        return Double.parseDouble(((String) v.unwrapped()).trim());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw fail(v, child(key), "expected a number, got " + describe(v));
  }

  /** A positive HOCON duration ({@code 1s}, {@code 500ms}, {@code 2 minutes}). */
  public java.time.Duration positiveDuration(String key) {
    ConfigValue v = value(key);
    java.time.Duration d;
    try {
      d = com.typesafe.config.ConfigFactory.empty().withValue("d", v).getDuration("d");
    } catch (com.typesafe.config.ConfigException e) {
      throw fail(v, child(key), "expected a duration such as 1s or 500ms, got " + describe(v));
    }
    if (d.isNegative() || d.isZero()) {
      throw fail(v, child(key), "expected a positive duration, got " + describe(v));
    }
    return d;
  }

  /** The elements of a list, each with its own path {@code key[i]}. */
  public List<Element> list(String key) {
    if (!has(key)) {
      return List.of();
    }
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      String hint =
          v.valueType() == ConfigValueType.STRING ? "; write [" + v.unwrapped() + "]" : "";
      throw fail(v, child(key), "expected a list [ ... ], got " + describe(v) + hint);
    }
    List<Element> out = new ArrayList<>();
    ConfigList list = (ConfigList) v;
    for (int i = 0; i < list.size(); i++) {
      out.add(new Element(list.get(i), child(key) + "[" + i + "]"));
    }
    return out;
  }

  /** A list element and its path. */
  public record Element(ConfigValue value, String path) {}

  public String child(String key) {
    return path + "." + key;
  }

  public int line() {
    return lineOf(object);
  }

  public MeshConfigException fail(ConfigValue at, String keyPath, String reason) {
    return fail(at.origin(), keyPath, reason);
  }

  public MeshConfigException fail(ConfigOrigin origin, String keyPath, String reason) {
    return new MeshConfigException(
        fileOf(origin), origin == null ? -1 : origin.lineNumber(), keyPath, reason);
  }

  /** The file an origin names: an included file's own name, else the file being loaded. */
  public Path fileOf(ConfigOrigin origin) {
    return origin != null && origin.filename() != null ? Path.of(origin.filename()) : file;
  }

  public static int lineOf(ConfigValue v) {
    return v.origin() == null ? -1 : v.origin().lineNumber();
  }

  static String describe(ConfigValue v) {
    return switch (v.valueType()) {
      case OBJECT -> "an object";
      case LIST -> "a list";
      case NULL -> "null";
      case STRING -> "the string \"" + v.unwrapped() + "\"";
      case NUMBER -> "the number " + v.unwrapped();
      case BOOLEAN -> "the boolean " + v.unwrapped();
    };
  }

  private static List<String> sorted(Set<String> keys) {
    return keys.stream().sorted().toList();
  }
}
