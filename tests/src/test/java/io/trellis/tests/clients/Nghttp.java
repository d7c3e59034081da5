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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nghttp (Debian's nghttp2-client): HTTP/2 with prior knowledge, many streams on one
 * connection. The {@code :authority} names the service; the URI names the outbound proxy.
 * Statuses come from the HAR file nghttp writes, bodies from its standard output.
 */
public final class Nghttp {
  private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*(\\d{3})");

  /** The statuses of every stream, in the order nghttp finished them, and the bodies' bytes. */
  public record Result(List<Integer> statuses, byte[] body, Tool.Run run) {}

  private final Path workDir;

  public Nghttp(Path workDir) {
    Tool.require("nghttp");
    this.workDir = workDir;
  }

  /** GETs {@code path} {@code times} times, all streams multiplexed on one connection. */
  public Result get(Target target, String path, int times) {
    return call(target, path, times, null);
  }

  /** POSTs the file {@code body} to {@code path}. */
  public Result post(Target target, String path, Path body) {
    return call(target, path, 1, body);
  }

  private Result call(Target target, String path, int times, Path body) {
    try {
      Files.createDirectories(workDir);
      Path har = Files.createTempFile(workDir, "nghttp-", ".har");
      List<String> cmd = new ArrayList<>(List.of("nghttp", "--timeout=60", "--har=" + har));
      cmd.add("--header=:authority: " + target.authority());
      if (times > 1) {
        cmd.add("--multiply=" + times);
      }
      if (body != null) {
        cmd.add("--data=" + body);
      }
      cmd.add(target.uri(path).toString());
      Tool.Run run = Tool.run(workDir, Duration.ofSeconds(90), cmd).assertSuccess();
      List<Integer> statuses = new ArrayList<>();
      Matcher m = STATUS.matcher(Files.readString(har, StandardCharsets.UTF_8));
      while (m.find()) {
        statuses.add(Integer.parseInt(m.group(1)));
      }
      return new Result(List.copyOf(statuses), run.outBytes(), run);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
