package io.trellis.cli;

import io.trellis.api.resources.Applied;
import io.trellis.api.resources.ApplyRequest;
import io.trellis.api.resources.ApplyResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis apply -f FILE}: applies ServiceProfiles and TrafficSplits to the control plane. */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = {
      "Validates ServiceProfiles (linkerd.io/v1alpha2) and TrafficSplits (split.smi-spec.io",
      "v1alpha1/v1alpha2) and applies them to the running control plane, which keeps them",
      "across restarts and gives them to every proxy. An applied resource replaces mesh.conf's",
      "of the same kind and name. A file may hold several documents (---); all apply or none."
    })
final class ApplyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ControlPlaneClient.Options controlPlane;

  @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE",
      description = "A YAML file; - reads standard input. Repeat for several files.")
  List<String> files;

  /** Standard input, replaceable by tests. */
  static InputStream stdin = System.in;

  @Override
  public Integer call() {
    Output out = new Output(spec, "apply");
    try (ControlPlaneClient client = new ControlPlaneClient(controlPlane.hostPort())) {
      for (String file : files) {
        String yaml;
        try {
          yaml = file.equals("-")
              ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
          return out.fail(file + ": cannot read: " + (Files.exists(Path.of(file))
              ? e.getMessage() : "no such file"), 2);
        }
        ApplyResponse rsp = client.await(client.resources().apply(
            ApplyRequest.newBuilder().setSource(file).setYaml(yaml).build()));
        for (Applied a : rsp.getAppliedList()) {
          out.println(Output.qualified(a.getKind()) + "/" + a.getName() + " " + a.getOutcome());
        }
      }
      return 0;
    } catch (ControlPlaneClient.Failure f) {
      return out.fail(f.getMessage(), f.exitCode);
    } catch (IllegalArgumentException e) {
      return out.fail("--control-plane: " + e.getMessage(), 2);
    }
  }
}
