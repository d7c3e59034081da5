package io.trellis.tests.clients;

import io.trellis.tests.mesh.Target;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * curl as a user runs it against a service: {@code curl http://echo-svc/path} with
 * {@code --connect-to} sending the connection to the workload's outbound proxy, the way
 * iptables would in a pod.
 */
public final class Curl {
  /** One response: status, protocol version, headers (lower-cased names) and body. */
  public record Response(int status, String httpVersion, Map<String, List<String>> headers, String body, Tool.Run run) {
    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : values.get(0);
    }
  }

  private final Path workDir;
  private final List<String> protocol;

  private Curl(Path workDir, List<String> protocol) {
    this.workDir = workDir;
    this.protocol = protocol;
  }

  public static Curl http1(Path workDir) {
    assumeInstalled();
    return new Curl(workDir, List.of("--http1.1"));
  }

  /** HTTP/1.1 with an offer to upgrade to h2c ({@code Upgrade: h2c}). */
  public static Curl http2Upgrade(Path workDir) {
    assumeInstalled();
    return new Curl(workDir, List.of("--http2"));
  }

  public static Curl http2PriorKnowledge(Path workDir) {
    assumeInstalled();
    return new Curl(workDir, List.of("--http2-prior-knowledge"));
  }

  public Response get(Target target, String path, String... extraArgs) {
    return call(target, path, List.of(extraArgs));
  }

  /** POSTs the file at {@code body} (streamed by curl, never loaded here). */
  public Response post(Target target, String path, Path body, String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--data-binary", "@" + body));
    args.addAll(List.of(extraArgs));
    return call(target, path, args);
  }

  private Response call(Target target, String path, List<String> extra) {
    try {
      Files.createDirectories(workDir);
      Path headers = Files.createTempFile(workDir, "headers-", ".txt");
      Path body = Files.createTempFile(workDir, "body-", ".bin");
      List<String> cmd = new ArrayList<>(List.of("curl", "--silent", "--show-error"));
      cmd.addAll(protocol);
      cmd.addAll(List.of("--max-time", "30", "--connect-to", target.connectTo()));
      cmd.addAll(List.of("--dump-header", headers.toString(), "--output", body.toString()));
      cmd.addAll(List.of("--write-out", "%{http_code} %{http_version}\\n"));
      cmd.addAll(extra);
      cmd.add(target.serviceUrl(path));
      Tool.Run run = Tool.run(workDir, Duration.ofSeconds(90), cmd).assertSuccess();
      // With several URLs curl writes one line per transfer: the last is the target's own.
      String[] lines = run.out().trim().split("\n");
      String[] statusAndVersion = lines[lines.length - 1].trim().split(" ");
      return new Response(
          Integer.parseInt(statusAndVersion[0]),
          statusAndVersion[1],
          parseHeaders(Files.readAllLines(headers, StandardCharsets.ISO_8859_1)),
          Files.readString(body, StandardCharsets.ISO_8859_1),
          run);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, List<String>> parseHeaders(List<String> lines) {
    Map<String, List<String>> out = new TreeMap<>();
    for (String line : lines) {
      int colon = line.indexOf(':');
      // Status lines ("HTTP/1.1 200 OK") have no colon before a space; skip them.
      if (colon <= 0 || line.startsWith("HTTP/")) {
        continue;
      }
      out.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(line.substring(colon + 1).trim());
    }
    return out;
  }

  private static void assumeInstalled() {
    Tool.require("curl");
  }
}
