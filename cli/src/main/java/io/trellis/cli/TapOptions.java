package io.trellis.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.trellis.api.tap.TapRequest;
import io.trellis.config.HostPort;
import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What {@code trellis tap} and {@code trellis top} ask for: a resource and Linkerd's filters. */
final class TapOptions {
  @Parameters(
      index = "0",
      paramLabel = "RESOURCE",
      description = "deploy/NAME, deploy (every workload), or svc/NAME (the workloads serving it).")
  String resource;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "Namespace (default: the mesh's).")
  String namespace = "";

  @Option(names = "--method", description = "Only requests with this method (GET).")
  String method = "";

  @Option(names = "--path", description = "Only requests whose path starts with this (/api).")
  String path = "";

  @Option(names = "--authority", description = "Only requests to this authority (web-svc:80).")
  String authority = "";

  @Option(
      names = "--to",
      paramLabel = "RESOURCE",
      description = "Only outbound requests to this resource (deploy/NAME or svc/NAME).")
  String to = "";

  @Option(
      names = "--max-rps",
      paramLabel = "RPS",
      description = "Requests per second tapped at most, per proxy (default ${DEFAULT-VALUE}; 0: no limit).")
  double maxRps = 100;

  @Option(
      names = "--since",
      paramLabel = "DURATION",
      description = "First replay what the proxies recorded this long ago and since (5m, 30s); "
          + "replayed tap lines end with replay=true.")
  String since;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description = "Stop after this long (30s, 5m). tap: until Ctrl-C by default; top: on a "
          + "terminal until Ctrl-C, else 10s.")
  String duration;

  @Option(
      names = "--control-plane",
      paramLabel = "HOST:PORT",
      description = "The control plane's API (default ${DEFAULT-VALUE}).")
  String controlPlane = "127.0.0.1:8086";

  HostPort controlPlane() {
    try {
      return HostPort.parse(controlPlane);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--control-plane " + controlPlane + ": " + e.getMessage());
    }
  }

  /** --duration, or null when not given. */
  Duration duration() {
    return duration(duration, "--duration");
  }

  TapRequest request() {
    Duration since = duration(this.since, "--since");
    if (maxRps < 0) {
      throw new IllegalArgumentException("--max-rps " + maxRps + ": must be 0 or more");
    }
    return TapRequest.newBuilder()
        .setResource(resource)
        .setNamespace(namespace)
        .setMethod(method)
        .setPath(path)
        .setAuthority(authority)
        .setTo(to)
        .setMaxRps(maxRps)
        .setSinceMs(since == null ? 0 : since.toMillis())
        .build();
  }

  /** A duration as HOCON writes it (5m, 30s, 1h, 500ms); {@code flag} names it in errors. */
  static Duration duration(String text, String flag) {
    if (text == null) {
      return null;
    }
    try {
      Duration d = ConfigFactory.parseString("d = \"" + text.replace("\"", "") + "\"").getDuration("d");
      if (d.isNegative()) {
        throw new IllegalArgumentException(flag + " " + text + ": must not be negative");
      }
      return d;
    } catch (ConfigException e) {
      throw new IllegalArgumentException(flag + " " + text + ": not a duration (e.g. 30s, 5m, 1h)");
    }
  }
}
