package io.trellis.config.internal;

import io.trellis.config.MeshConfigException;
import io.trellis.config.ResourceDocument;
import io.trellis.config.ServiceProfile;
import io.trellis.config.TrafficSplit;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads the YAML resources mesh.conf lists (multi-document files allowed) and checks them against
 * the mesh: ServiceProfiles must name a service of the mesh, TrafficSplits must split between
 * services of the mesh, and no service has two profiles or two splits.
 */
public final class ResourceReader {
  /**
   * Everything the resources declare, in the order listed.
   *
   * @param files every path read: listed files, listed directories and the files in them
   */
  public record Resources(
      List<ServiceProfile> profiles,
      List<TrafficSplit> splits,
      List<Path> files,
      List<ResourceDocument> documents) {}

  static final String SERVICE_PROFILE = "ServiceProfile";
  static final String TRAFFIC_SPLIT = "TrafficSplit";
  private static final Map<String, Set<String>> API_VERSIONS =
      Map.of(
          SERVICE_PROFILE, Set.of("linkerd.io/v1alpha2"),
          TRAFFIC_SPLIT, Set.of("split.smi-spec.io/v1alpha1", "split.smi-spec.io/v1alpha2"));
  // status is what `kubectl get -o yaml` adds; it is accepted so such output loads unchanged.
  private static final Set<String> TOP_KEYS =
      Set.of("apiVersion", "kind", "metadata", "spec", "status");

  private final HoconMeshReader.Mesh mesh;
  private final List<ServiceProfile> profiles = new ArrayList<>();
  private final List<TrafficSplit> splits = new ArrayList<>();
  private final List<ResourceDocument> documents = new ArrayList<>();
  private String text = "";
  // Which document claimed a service, for "already" messages.
  private final Map<String, String> profileOf = new HashMap<>();
  private final Map<String, String> splitOf = new HashMap<>();

  private ResourceReader(HoconMeshReader.Mesh mesh) {
    this.mesh = mesh;
  }

  public static Resources readAll(HoconMeshReader.Mesh mesh) {
    ResourceReader reader = new ResourceReader(mesh);
    Map<Path, String> listed = new LinkedHashMap<>();
    List<Path> read = new ArrayList<>();
    for (HoconMeshReader.Resource r : mesh.resources()) {
      read.add(r.path());
      for (Path file : filesOf(r)) {
        String previous = listed.putIfAbsent(file, r.keyPath());
        if (previous != null) {
          throw r.fail(file + " is already listed by " + previous);
        }
        // Messages name a resource as mesh.conf's directory plus what the user wrote.
        Path shown = r.confFile().resolveSibling(r.written());
        reader.readFile(r, file, file.equals(r.path()) ? shown : shown.resolve(file.getFileName()));
      }
    }
    listed.keySet().stream().filter(p -> !read.contains(p)).forEach(read::add);
    return new Resources(reader.profiles, reader.splits, read, reader.documents);
  }

  /**
   * Reads YAML text that is not listed by mesh.conf ({@code trellis apply}), with the same checks
   * against the mesh; {@code shown} names it in messages. Two documents for one service fail.
   */
  public static Resources readText(HoconMeshReader.Mesh mesh, Path shown, String text) {
    ResourceReader reader = new ResourceReader(mesh);
    reader.readDocuments(shown, text);
    return new Resources(reader.profiles, reader.splits, List.of(), reader.documents);
  }

  /** The file itself, or every *.yaml and *.yml directly in a directory, by name. */
  private static List<Path> filesOf(HoconMeshReader.Resource r) {
    Path path = r.path();
    if (!Files.exists(path)) {
      throw r.fail("no such file: " + path);
    }
    if (!Files.isDirectory(path)) {
      return List.of(path);
    }
    try (Stream<Path> entries = Files.list(path)) {
      return entries
          .filter(p -> Files.isRegularFile(p))
          .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new MeshConfigException(
          r.confFile(), r.line(), r.keyPath(), "cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  private void readFile(HoconMeshReader.Resource r, Path path, Path file) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MeshConfigException(
          r.confFile(), r.line(), r.keyPath(), "cannot read " + path + ": " + e.getMessage(), e);
    }
    readDocuments(file, text);
  }

  private void readDocuments(Path file, String text) {
    this.text = text;
    Iterator<Node> documents =
        new Yaml(new SafeConstructor(new LoaderOptions()))
            .composeAll(new StringReader(text))
            .iterator();
    while (true) {
      Node doc;
      try {
        if (!documents.hasNext()) {
          break;
        }
        doc = documents.next();
      } catch (MarkedYAMLException e) {
        int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : -1;
        String context =
            e.getContext() == null
                ? ""
                : e.getContext()
                    + (e.getContextMark() == null
                        ? ""
                        : " (from line " + (e.getContextMark().getLine() + 1) + ")")
                    + ": ";
        throw new MeshConfigException(
            file, line, "", "malformed YAML: " + context + e.getProblem(), e);
      } catch (YAMLException e) {
        throw new MeshConfigException(file, -1, "", "malformed YAML: " + e.getMessage(), e);
      }
      if (doc != null && !YamlMap.isNull(doc)) {
        readDocument(new YamlMap(file, "", doc));
      }
    }
  }

  private void readDocument(YamlMap doc) {
    doc.allowOnly(TOP_KEYS);
    String kind = doc.string("kind");
    Set<String> versions = API_VERSIONS.get(kind);
    if (versions == null) {
      throw doc.fail(
          "kind",
          "unsupported kind \""
              + kind
              + "\"; expected "
              + String.join(" or ", API_VERSIONS.keySet().stream().sorted().toList()));
    }
    String apiVersion = doc.string("apiVersion");
    if (!versions.contains(apiVersion)) {
      throw doc.fail(
          "apiVersion",
          "unsupported apiVersion \""
              + apiVersion
              + "\" for "
              + kind
              + "; expected "
              + String.join(" or ", versions.stream().sorted().toList()));
    }
    Metadata meta = Metadata.read(doc, mesh.namespace());
    if (kind.equals(SERVICE_PROFILE)) {
      ServiceProfile p = new ProfileReader(mesh).read(doc, meta);
      String service = p.name().substring(0, p.name().indexOf('.'));
      claim(
          profileOf,
          service,
          doc,
          doc.map("metadata").required("name"),
          "metadata.name",
          SERVICE_PROFILE);
      profiles.add(p);
      documents.add(document(doc, ResourceDocument.Kind.SERVICE_PROFILE, p.name(), meta, p, null));
    } else {
      TrafficSplit s = new SplitReader(mesh).read(doc, meta, apiVersion);
      claim(
          splitOf,
          s.service(),
          doc,
          doc.map("spec").required("service"),
          "spec.service",
          TRAFFIC_SPLIT);
      splits.add(s);
      documents.add(document(doc, ResourceDocument.Kind.TRAFFIC_SPLIT, s.name(), meta, null, s));
    }
  }

  private ResourceDocument document(
      YamlMap doc,
      ResourceDocument.Kind kind,
      String name,
      Metadata meta,
      ServiceProfile profile,
      TrafficSplit split) {
    Node n = doc.node();
    int start = n.getStartMark().getIndex() - n.getStartMark().getColumn();
    int end = Math.min(text.length(), n.getEndMark().getIndex());
    String yaml = text.substring(Math.max(0, start), end).stripTrailing() + "\n";
    return new ResourceDocument(
        kind, name, meta.namespace(), profile, split, yaml, doc.file(), YamlMap.line(n));
  }

  /** Records that the document at {@code at} owns {@code service}, or fails naming the owner. */
  private static void claim(
      Map<String, String> owners, String service, YamlMap doc, Node at, String field, String kind) {
    String here = doc.file().getFileName() + ":" + YamlMap.line(at);
    String previous = owners.putIfAbsent(service, here);
    if (previous != null) {
      throw doc.fail(
          at,
          field,
          "service \""
              + service
              + "\" already has a "
              + kind
              + " ("
              + previous
              + "); merge them into one");
    }
  }

  /** The metadata fields Trellis uses; labels, annotations and the rest are ignored. */
  record Metadata(String name, String namespace) {
    static Metadata read(YamlMap doc, String meshNamespace) {
      YamlMap meta = doc.map("metadata");
      String name = meta.string("name");
      String namespace = meta.optionalString("namespace").orElse(meshNamespace);
      if (!namespace.equals(meshNamespace)) {
        throw meta.fail(
            "namespace",
            "namespace \""
                + namespace
                + "\" is not the mesh's namespace \""
                + meshNamespace
                + "\" (trellis.mesh.namespace)");
      }
      return new Metadata(name, namespace);
    }
  }
}
