package io.trellis.config.internal;

import io.trellis.config.TrafficSplit;
import io.trellis.config.TrafficSplit.Backend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/** Reads a TrafficSplit (split.smi-spec.io v1alpha1 or v1alpha2) document. */
final class SplitReader {
  private static final Set<String> SPEC_KEYS = Set.of("service", "backends");
  private static final Set<String> SPEC_KEYS_V1ALPHA2 = Set.of("service", "backends", "matches");
  private static final Set<String> BACKEND_KEYS = Set.of("service", "weight");

  private final HoconMeshReader.Mesh mesh;

  SplitReader(HoconMeshReader.Mesh mesh) {
    this.mesh = mesh;
  }

  TrafficSplit read(YamlMap doc, ResourceReader.Metadata meta, String apiVersion) {
    boolean quantities = apiVersion.endsWith("/v1alpha1");
    YamlMap spec = doc.map("spec");
    spec.allowOnly(quantities ? SPEC_KEYS : SPEC_KEYS_V1ALPHA2);
    if (spec.get("matches").isPresent()) {
      // HTTPRouteGroup matching is not implemented; refusing beats silently splitting everything.
      throw spec.fail(
          "matches",
          "matches (HTTPRouteGroup) is not supported; remove it to split"
              + " all of the service's traffic");
    }
    String service = service(spec, spec.required("service"), spec.child("service"));
    List<YamlMap.Element> elements = spec.list("backends");
    if (elements.isEmpty()) {
      throw spec.fail("backends", "a TrafficSplit needs at least one backend");
    }
    List<Backend> backends = new ArrayList<>();
    Map<String, String> seen = new HashMap<>();
    long total = 0;
    for (YamlMap.Element e : elements) {
      YamlMap b = spec.asMap(e.node(), e.path());
      b.allowOnly(BACKEND_KEYS);
      Node serviceNode = b.required("service");
      String backend = service(b, serviceNode, b.child("service"));
      String previous = seen.putIfAbsent(backend, e.path());
      if (previous != null) {
        throw b.fail(
            serviceNode,
            b.child("service"),
            "\"" + backend + "\" is already a backend at " + previous);
      }
      long weight = quantities ? ProfileReader.quantity(b, "weight") : integerWeight(b);
      try {
        total = Math.addExact(total, weight);
      } catch (ArithmeticException overflow) {
        throw b.fail("weight", "the weights add up to more than " + Long.MAX_VALUE + "m");
      }
      backends.add(new Backend(backend, weight));
    }
    // All weights zero is accepted: the proxy then sends the apex's traffic to its own endpoints.
    return new TrafficSplit(meta.name(), meta.namespace(), service, backends);
  }

  /** v1alpha2 weights are plain integers, kept in thousandths like v1alpha1 quantities. */
  private static long integerWeight(YamlMap b) {
    Node n = b.required("weight");
    long w = b.integer(n, b.child("weight"));
    if (w < 0) {
      throw b.fail(n, b.child("weight"), "weight must not be negative, got " + w);
    }
    if (w > Long.MAX_VALUE / 1000 / 1000) {
      throw b.fail(n, b.child("weight"), "weight " + w + " is too large");
    }
    return w * 1000;
  }

  /** SMI names services by their plain name, in the split's namespace. */
  private String service(YamlMap m, Node n, String at) {
    String name = m.asString(n, at);
    if (!mesh.services().containsKey(name)) {
      throw m.fail(n, at, HoconMeshReader.unknownService(name, mesh.services().keySet()));
    }
    return name;
  }
}
