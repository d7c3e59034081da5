package io.trellis.cli;

import io.trellis.api.resources.DeleteRequest;
import io.trellis.api.resources.Kind;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trellis delete sp|ts NAME}: deletes an applied resource. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes a ServiceProfile (sp) or TrafficSplit (ts) applied with trellis apply; mesh.conf's",
      "own resources are removed by editing mesh.conf. A deleted resource that replaced one of",
      "mesh.conf's brings mesh.conf's back."
    })
final class DeleteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ControlPlaneClient.Options controlPlane;

  @Parameters(index = "0", paramLabel = "KIND", description = "sp (ServiceProfile) or ts (TrafficSplit)")
  String kind;

  @Parameters(index = "1", paramLabel = "NAME")
  String name;

  @Override
  public Integer call() {
    Output out = new Output(spec, "delete");
    Kind k = GetCommand.parseKind(kind);
    if (k == null) {
      return out.fail(GetCommand.unknownKind(kind), 2);
    }
    try (ControlPlaneClient client = new ControlPlaneClient(controlPlane.hostPort())) {
      client.await(client.resources().delete(
          DeleteRequest.newBuilder().setKind(k).setName(name).build()));
      out.println(Output.qualified(k) + " \"" + name + "\" deleted");
      return 0;
    } catch (ControlPlaneClient.Failure f) {
      return out.fail(f.getMessage(), f.exitCode);
    } catch (IllegalArgumentException e) {
      return out.fail("--control-plane: " + e.getMessage(), 2);
    }
  }
}
