package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.cli.profile.ObservedRequests;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.ServiceProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs {@code trellis profile} in-process and loads what it prints through the config loader. */
final class ProfileRun {
  /** What a run printed and returned. */
  record Result(int code, String out, String err) {}

  private ProfileRun() {}

  /** {@code trellis profile ARGS}, as the command line runs it. */
  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = "profile";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), all);
    return new Result(code, out.toString(), err.toString());
  }

  /** {@code trellis profile ARGS} with {@code taps} observing the traffic. */
  static Result runWithTap(ObservedRequests taps, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(new ProfileCommand(controlPlane -> taps))
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /**
   * Loads {@code profileText} as the only resource of a mesh with {@code service} in {@code
   * namespace}, as a user would after saving the output; any problem fails the load.
   */
  static ServiceProfile loadBack(Path dir, String namespace, String service, String profileText) {
    try {
      Files.writeString(dir.resolve("profile.yaml"), profileText);
      Path conf = dir.resolve("mesh.conf");
      Files.writeString(conf, "trellis.mesh {\n  namespace = " + namespace + "\n  services { "
          + service + " { port = 80 } }\n  resources = [\"profile.yaml\"]\n}\n");
      MeshConfig mesh = MeshConfigLoader.load(conf);
      assertEquals(1, mesh.profiles().size());
      return mesh.profiles().get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
