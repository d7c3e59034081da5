package io.trellis.cli;

import io.trellis.cli.profile.GeneratedProfile;
import io.trellis.cli.profile.GeneratedProfile.Route;
import io.trellis.cli.profile.ObservedRequests;
import io.trellis.cli.profile.OpenApiRoutes;
import io.trellis.cli.profile.ProfileTemplate;
import io.trellis.cli.profile.ProfileWriter;
import io.trellis.cli.profile.ProtoRoutes;
import io.trellis.cli.profile.RouteInference;
import io.trellis.cli.profile.SourceException;
import io.trellis.config.HostPort;
import io.trellis.config.KubernetesFormats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code trellis profile}: prints a ServiceProfile for a service, as {@code linkerd profile}. */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description =
        "Prints a ServiceProfile (linkerd.io/v1alpha2) for SERVICE: a commented template, or the"
            + " routes of an OpenAPI spec (Swagger 2 or OpenAPI 3, JSON or YAML), of a .proto"
            + " file, or of traffic observed with tap. Save it and list it in mesh.conf's"
            + " trellis.mesh.resources.")
final class ProfileCommand implements Callable<Integer> {
  static final int USAGE_ERROR = 2;
  static final int UNAVAILABLE = 1;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service, e.g. web-svc.")
  String service;

  @Option(
      names = {"-n", "--namespace"},
      defaultValue = "default",
      paramLabel = "NAMESPACE",
      description = "The service's namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  /** Where the routes come from: exactly one. */
  static final class Source {
    @Option(names = "--template", required = true,
        description = "A commented template to edit by hand.")
    boolean template;

    @Option(names = "--open-api", required = true, paramLabel = "FILE",
        description = "An OpenAPI spec, Swagger 2.0 or OpenAPI 3.x, JSON or YAML ('-': stdin).")
    String openApi;

    @Option(names = "--proto", required = true, paramLabel = "FILE",
        description = "A .proto file: one route per rpc ('-': stdin).")
    String proto;

    @Option(names = "--tap", required = true, paramLabel = "deploy/NAME",
        description = "Observe the workload's inbound requests with tap.")
    String tap;
  }

  @Option(
      names = "--tap-duration",
      defaultValue = "5s",
      paramLabel = "DURATION",
      description = "How long to observe with --tap (default: ${DEFAULT-VALUE}).")
  String tapDuration;

  @Option(
      names = "--tap-route-limit",
      defaultValue = "" + RouteInference.DEFAULT_LIMIT,
      paramLabel = "N",
      description = "Most routes --tap keeps, the first seen (default: ${DEFAULT-VALUE}).")
  int tapRouteLimit;

  @Option(
      names = "--control-plane",
      defaultValue = "127.0.0.1:8086",
      paramLabel = "HOST:PORT",
      description = "The control plane, for --tap (default: ${DEFAULT-VALUE}).")
  String controlPlane;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "yaml",
      paramLabel = "yaml|json",
      description = "Output format (default: ${DEFAULT-VALUE}).")
  String output;

  private final Function<HostPort, ObservedRequests> taps;

  /** As the command line runs it: --tap asks the control plane's Tap API. */
  ProfileCommand() {
    this(null);
  }

  /**
   * With a tap client for the given control-plane address (tests pass recorded traffic); null:
   * {@link TapObservedRequests}, the control plane's Tap API.
   */
  ProfileCommand(Function<HostPort, ObservedRequests> taps) {
    this.taps = taps;
  }

  @Override
  public Integer call() {
    check(() -> KubernetesFormats.checkServiceName(service), "SERVICE");
    check(() -> KubernetesFormats.checkNamespace(namespace), "--namespace");
    ProfileWriter.Format format = format();
    try {
      spec.commandLine().getOut().print(render(format));
      spec.commandLine().getOut().flush();
      return 0;
    } catch (SourceException e) {
      return err(e.getMessage(), USAGE_ERROR); // names file, line and key
    } catch (ObservedRequests.TapUnavailableException e) {
      return e.hasMessage() ? err(e.getMessage(), UNAVAILABLE) : e.exitCode();
    } catch (IOException e) {
      String reason = e instanceof NoSuchFileException ? "no such file" : e.toString();
      return err(file() + ": " + reason, USAGE_ERROR);
    }
  }

  private String render(ProfileWriter.Format format) throws IOException {
    if (source.template) {
      return format == ProfileWriter.Format.YAML
          ? ProfileTemplate.yaml(service, namespace)
          : ProfileTemplate.json(service, namespace);
    }
    List<Route> routes;
    if (source.openApi != null) {
      routes = OpenApiRoutes.read(source.openApi, read(source.openApi));
    } else if (source.proto != null) {
      routes = ProtoRoutes.read(source.proto, read(source.proto));
    } else {
      routes = tap();
    }
    return ProfileWriter.write(new GeneratedProfile(service, namespace, routes), format);
  }

  private List<Route> tap() {
    String[] kindName = source.tap.split("/", -1);
    if (kindName.length != 2
        || !List.of("deploy", "deployment").contains(kindName[0])
        || kindName[1].isEmpty()) {
      throw usage("--tap: expected deploy/NAME, got \"" + source.tap + "\"");
    }
    Duration duration;
    try {
      duration = KubernetesFormats.duration(tapDuration);
    } catch (IllegalArgumentException e) {
      throw usage("--tap-duration: " + e.getMessage());
    }
    if (duration.isZero()) {
      throw usage("--tap-duration: must be more than 0");
    }
    if (tapRouteLimit < 1) {
      throw usage("--tap-route-limit: must be at least 1, got " + tapRouteLimit);
    }
    HostPort address;
    try {
      address = HostPort.parse(controlPlane);
    } catch (IllegalArgumentException e) {
      throw usage("--control-plane: " + e.getMessage());
    }
    ObservedRequests observed =
        taps != null ? taps.apply(address) : new TapObservedRequests(address, spec.commandLine().getErr());
    List<ObservedRequests.Request> seen = observed.observe(kindName[1], namespace, duration);
    return RouteInference.infer(seen, tapRouteLimit);
  }

  private ProfileWriter.Format format() {
    return switch (output.toLowerCase(Locale.ROOT)) {
      case "yaml" -> ProfileWriter.Format.YAML;
      case "json" -> ProfileWriter.Format.JSON;
      default -> throw usage("-o: expected yaml or json, got \"" + output + "\"");
    };
  }

  private static String read(String file) throws IOException {
    byte[] bytes = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private String file() {
    return source.openApi != null ? source.openApi : source.proto;
  }

  private void check(Runnable validation, String what) {
    try {
      validation.run();
    } catch (IllegalArgumentException e) {
      throw usage(what + ": " + e.getMessage());
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private int err(String message, int code) {
    spec.commandLine().getErr().println("trellis profile: " + message);
    spec.commandLine().getErr().flush();
    return code;
  }
}
