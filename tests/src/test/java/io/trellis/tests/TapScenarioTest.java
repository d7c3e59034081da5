package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.tests.mesh.CliProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.MeshFixture;
import io.trellis.tests.mesh.MeshSpec;
import io.trellis.tests.mesh.Target;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tap end to end (issue 4): a control plane, a client and a server proxy with its backend. Requests
 * made before {@code trellis tap} starts are replayed with {@code --since} (marked), live ones
 * follow; filters and {@code --to} narrow the stream; {@code trellis top} counts the paths. Output
 * is compared with golden files, ids, addresses, ports and timings masked.
 */
class TapScenarioTest {
  @RegisterExtension
  static final MeshFixture mesh = MeshFixture.of(MeshFixture.clientAndServer()).withControlPlanes(1);

  static final Duration CLI_WITHIN = Duration.ofSeconds(90);
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void tapReplaysHistoryThenStreamsLiveAndTopCountsPaths() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    for (String path : List.of("/status/201", "/status/201", "/status/503", "/status/201", "/status/503")) {
      get(echo, path);
    }
    String cp = "--control-plane=" + mesh.controlPlane(0).destination();

    // Before the tap started: replayed from the client proxy's event log, in order.
    CliProcess since = CliProcess.start(mesh.logDir(), "tap-since",
        "tap", "deploy/client", "--since", "1m", "--path", "/status/", "--limit", "15", cp);
    assertEquals(0, since.await(CLI_WITHIN), since::stderr);
    assertEquals(golden("tap-since.golden"), mask(since.stdout()), since.stdout());

    // Filters: method, path prefix, authority, and --to the server's workload, in -o wide.
    CliProcess filtered = CliProcess.start(mesh.logDir(), "tap-filtered",
        "tap", "deploy/client", "--since", "1m", "--method", "GET", "--path", "/status/5",
        "--authority", echo.authority(), "--to", "deploy/server", "-o", "wide", "--limit", "6", cp);
    assertEquals(0, filtered.await(CLI_WITHIN), filtered::stderr);
    assertEquals(golden("tap-filtered-wide.golden"), mask(filtered.stdout()), filtered.stdout());

    // Live: the tap is open before these requests; they are not marked as replay.
    CliProcess live = CliProcess.start(mesh.logDir(), "tap-live",
        "tap", "svc/" + MeshFixture.SERVICE, "--path", "/live", "--limit", "3", cp);
    Deadline.in(CLI_WITHIN).await("the live tap sees a request", () -> {
      if (live.alive()) {
        get(echo, "/live");
      }
      return !live.alive();
    }, live::stderr);
    assertEquals(0, live.await(CLI_WITHIN), live::stderr);
    List<String> lines = live.stdout().lines().toList();
    assertEquals(3, lines.size(), live.stdout());
    assertTrue(lines.get(0).startsWith("req ") && lines.get(0).contains(" proxy=in ")
        && lines.get(0).endsWith(":path=/live"), lines.get(0));
    assertTrue(lines.get(1).contains(":status=404"), lines.get(1));
    assertTrue(lines.stream().noneMatch(l -> l.contains("replay=true")), live.stdout());

    // top: one table after --duration when stdout is not a terminal.
    CliProcess top = CliProcess.start(mesh.logDir(), "top",
        "top", "deploy/client", "--since", "1m", "--path", "/status/", "--duration", "3s", cp);
    assertEquals(0, top.await(CLI_WITHIN), top::stderr);
    assertEquals(golden("top.golden"), maskTop(top.stdout()), top.stdout());

    // A bad resource is a usage error with a clear message.
    CliProcess bad = CliProcess.start(mesh.logDir(), "tap-bad", "tap", "deploy/nope", cp);
    assertEquals(2, bad.await(CLI_WITHIN), bad::stderr);
    assertTrue(bad.stderr().contains("deploy/nope: no such workload in namespace e2e"), bad.stderr());
  }

  /**
   * {@code trellis profile --tap}: the server's inbound requests seen through the control plane's
   * Tap API during --tap-duration become the routes of the printed ServiceProfile (ids folded
   * into a parameter); the client's requests are outbound for the client and not its routes.
   */
  @Test
  void profileFromTapHasTheObservedRoutes() throws Exception {
    mesh.requireProxies();
    Target echo = mesh.target("client", MeshFixture.SERVICE);
    String cp = "--control-plane=" + mesh.controlPlane(0).destination();
    CliProcess profile = CliProcess.start(mesh.logDir(), "profile-tap",
        "profile", MeshFixture.SERVICE, "-n", "e2e", "--tap", "deploy/server",
        "--tap-duration", "10s", cp);
    List<String> paths = List.of("/profiled/items/123", "/profiled/items/456", "/profiled/other");
    int[] sent = {0};
    Deadline.in(CLI_WITHIN).await("trellis profile --tap ends after its duration", () -> {
      if (profile.alive()) {
        get(echo, paths.get(sent[0]++ % paths.size()));
      }
      return !profile.alive();
    }, profile::stderr);
    assertEquals(0, profile.await(CLI_WITHIN), profile::stderr);
    String yaml = profile.stdout();
    assertTrue(yaml.contains("kind: ServiceProfile")
        && yaml.contains("name: " + MeshFixture.SERVICE + ".e2e.svc.cluster.local"), yaml);
    assertTrue(yaml.contains("- name: GET /profiled/items/{id}\n    condition:\n      method: GET\n"
        + "      pathRegex: /profiled/items/[^/]*\n"), yaml);
    assertTrue(yaml.contains("- name: GET /profiled/other\n"), yaml);
    assertTrue(!yaml.contains("/profiled/items/123"), "ids fold into a parameter:\n" + yaml);

    // A workload the control plane does not know is a usage error, said once.
    CliProcess nope = CliProcess.start(mesh.logDir(), "profile-tap-nope",
        "profile", MeshFixture.SERVICE, "-n", "e2e", "--tap", "deploy/nope", "--tap-duration", "2s", cp);
    assertEquals(2, nope.await(CLI_WITHIN), nope::stderr);
    assertTrue(nope.stderr().startsWith("trellis profile: ") && nope.stderr().contains("deploy/nope"),
        nope.stderr());
  }

  private static void get(Target target, String path) {
    try {
      HttpResponse<String> r = HTTP.send(
          HttpRequest.newBuilder(target.uri(path))
              .header("Host", target.authority())
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(r.statusCode() > 0);
    } catch (IOException e) {
      throw new AssertionError(path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Ids, addresses, ports and timings vary from run to run; the rest must not. */
  static String mask(String out) {
    return out.replaceAll("id=\\d+:\\d+", "id=ID")
        .replaceAll("(src|dst)=[0-9.]+:\\d+", "$1=IP:PORT")
        .replaceAll("(latency|duration)=\\d+µs", "$1=Tµs");
  }

  static String maskTop(String out) {
    return out.replaceAll("\\d+(µs|ms)", "T").replaceAll(" +", " ");
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = TapScenarioTest.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new AssertionError("no golden file " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
