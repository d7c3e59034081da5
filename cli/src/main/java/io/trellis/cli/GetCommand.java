package io.trellis.cli;

import io.trellis.actors.resources.ResourcesGrpcService;
import io.trellis.api.resources.Kind;
import io.trellis.api.resources.ListRequest;
import io.trellis.api.resources.Resource;
import io.trellis.config.ResourceDocument;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trellis get sp|ts [NAME]}: the mesh's ServiceProfiles or TrafficSplits. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the mesh's ServiceProfiles (sp) or TrafficSplits (ts): those mesh.conf lists and",
      "those applied with trellis apply (SOURCE says which)."
    })
final class GetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ControlPlaneClient.Options controlPlane;

  @Parameters(index = "0", paramLabel = "KIND", description = "sp (ServiceProfile) or ts (TrafficSplit)")
  String kind;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "Only this one.")
  String name;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
      description = "Only this namespace (the mesh has one).")
  String namespace;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "yaml or json")
  String output;

  @Override
  public Integer call() {
    Output out = new Output(spec, "get");
    Kind k = parseKind(kind);
    if (k == null) {
      return out.fail(unknownKind(kind), 2);
    }
    if (output != null && !output.equals("yaml") && !output.equals("json")) {
      return out.fail("-o: expected yaml or json, got \"" + output + "\"", 2);
    }
    try (ControlPlaneClient client = new ControlPlaneClient(controlPlane.hostPort())) {
      List<Resource> found = new ArrayList<>(client.await(client.resources().list(
          ListRequest.newBuilder().setKind(k).setName(name == null ? "" : name).build()))
          .getResourcesList());
      if (namespace != null) {
        found.removeIf(r -> !r.getNamespace().equals(namespace));
        if (found.isEmpty() && name != null) {
          return out.fail(ResourcesGrpcService.fromProto(k).kindName() + " \"" + name
              + "\" not found in namespace " + namespace, 1);
        }
      }
      if (output == null) {
        if (found.isEmpty()) {
          spec.commandLine().getErr().println(namespace == null ? "No resources found."
              : "No resources found in " + namespace + " namespace.");
          return 0;
        }
        long now = System.currentTimeMillis();
        List<List<String>> rows = new ArrayList<>();
        for (Resource r : found) {
          rows.add(List.of(r.getName(), r.getNamespace(), r.getSource(),
              Output.age(r.getSinceMillis(), now)));
        }
        Output.table(List.of("NAME", "NAMESPACE", "SOURCE", "AGE"), rows).forEach(out::println);
      } else if (output.equals("yaml")) {
        for (int i = 0; i < found.size(); i++) {
          if (i > 0) {
            out.println("---");
          }
          spec.commandLine().getOut().print(found.get(i).getYaml());
        }
        spec.commandLine().getOut().flush();
      } else {
        List<Object> items = new ArrayList<>();
        for (Resource r : found) {
          Map<String, Object> item = new LinkedHashMap<>();
          item.put("name", r.getName());
          item.put("namespace", r.getNamespace());
          item.put("source", r.getSource());
          item.put("since", r.getSinceMillis() > 0
              ? Instant.ofEpochMilli(r.getSinceMillis()).toString() : null);
          item.put("resource", r.getYaml().isEmpty() ? null
              : new Yaml(new SafeConstructor(new LoaderOptions())).load(r.getYaml()));
          items.add(item);
        }
        out.println(Json.write(name != null && items.size() == 1 ? items.get(0)
            : Map.of("items", items)));
      }
      return 0;
    } catch (ControlPlaneClient.Failure f) {
      return out.fail(f.getMessage(), f.exitCode);
    } catch (IllegalArgumentException e) {
      return out.fail("--control-plane: " + e.getMessage(), 2);
    }
  }

  static Kind parseKind(String text) {
    return ResourceDocument.Kind.parse(text).map(ResourcesGrpcService::toProto).orElse(null);
  }

  static String unknownKind(String text) {
    return "unknown kind \"" + text + "\"; expected sp (ServiceProfile) or ts (TrafficSplit)";
  }
}
