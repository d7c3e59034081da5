package io.trellis.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code trellis} command line: one subcommand class per command. */
@Command(
    name = "trellis",
    mixinStandardHelpOptions = true,
    version = "trellis 0.1.0",
    description = "A service mesh on Apache Pekko, Linkerd-compatible.",
    subcommands = {
      ProxyCommand.class,
      ControlPlaneCommand.class,
      DemoCommand.class,
      ProfileCommand.class,
      IdentityCommand.class,
      StatCommand.class,
      EdgesCommand.class,
      RoutesCommand.class,
      PrometheusConfigCommand.class,
      ApplyCommand.class,
      GetCommand.class,
      DeleteCommand.class,
      CheckCommand.class,
      TapCommand.class,
      TopCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code (2 for usage and configuration errors). */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  /** As {@link #run(String...)}, writing to the given streams (for tests). */
  static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    return new CommandLine(new Main()).setOut(out).setErr(err).execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }
}
