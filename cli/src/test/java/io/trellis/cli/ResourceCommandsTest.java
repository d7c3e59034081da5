package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.actors.ControlPlane;
import io.trellis.actors.ControlPlaneSettings;
import io.trellis.config.HostPort;
import io.trellis.discovery.HoconMeshSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code trellis apply/get/delete/check} against a real control-plane node in this JVM: exit
 * codes, output, and the messages of refusals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResourceCommandsTest {
  record Run(int code, String out, String err) {}

  private Path dir;
  private ControlPlane node;
  private HoconMeshSource source;
  private String address;

  static final String SPLIT = """
      apiVersion: split.smi-spec.io/v1alpha1
      kind: TrafficSplit
      metadata:
        name: web-split
        namespace: demo
      spec:
        service: web-svc
        backends:
        - service: web-svc
          weight: 900m
        - service: emoji-svc
          weight: 100m
      """;

  static final String PROFILE = """
      apiVersion: linkerd.io/v1alpha2
      kind: ServiceProfile
      metadata:
        name: web-svc.demo.svc.cluster.local
      spec:
        routes:
        - name: GET /api/list
          condition: {method: GET, pathRegex: /api/list}
      """;

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory(Path.of("target"), "resource-commands");
    Files.writeString(dir.resolve("emoji-sp.yaml"), """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata: {name: emoji-svc.demo.svc.cluster.local}
        spec: {routes: [{name: all, condition: {pathRegex: ".*"}}]}
        """);
    Path conf = Files.writeString(dir.resolve("mesh.conf"), """
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 }, emoji-svc { port = 8080 } }
          workloads {
            web { address = "127.0.0.11", app-port = 8080, serves = [web-svc],
                  proxy { admin = "127.0.0.1:%d" } }
          }
          resources = ["emoji-sp.yaml"]
        }
        """.formatted(freePort()));
    source = HoconMeshSource.start(conf, Duration.ofMillis(100));
    ControlPlaneSettings settings = ControlPlaneSettings.defaults()
        .withDestination(new HostPort("127.0.0.1", freePort()))
        .withNode(new HostPort("127.0.0.1", freePort()))
        .withStateDirBeside(conf);
    node = ControlPlane.start("ResourceCommandsTest-cp", settings, source)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    address = "127.0.0.1:" + node.destinationAddress().getPort();
  }

  @AfterAll
  void stop() throws Exception {
    node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    source.close();
  }

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--control-plane";
    all[args.length + 1] = address;
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), all);
    return new Run(code, out.toString(), err.toString());
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  void applyGetDeleteRoundTrip() throws Exception {
    Path both = write("both.yaml", PROFILE + "---\n" + SPLIT);
    Run applied = run("apply", "-f", both.toString());
    assertEquals(0, applied.code(), applied.err());
    assertEquals("""
        serviceprofile.linkerd.io/web-svc.demo.svc.cluster.local created
        trafficsplit.split.smi-spec.io/web-split created
        """, applied.out());
    assertEquals("trafficsplit.split.smi-spec.io/web-split unchanged\n",
        run("apply", "-f", write("split.yaml", SPLIT).toString()).out());

    Run table = run("get", "sp");
    assertEquals(0, table.code(), table.err());
    assertEquals("""
        NAME                               NAMESPACE   SOURCE      AGE
        emoji-svc.demo.svc.cluster.local   demo        mesh.conf   Ns
        web-svc.demo.svc.cluster.local     demo        applied     Ns
        """, table.out().replaceAll("\\d+s\\b|\\d+[mhd]\\b", "Ns"));

    Run yaml = run("get", "ts", "web-split", "-o", "yaml");
    assertEquals(SPLIT, yaml.out());
    Run json = run("get", "trafficsplits", "web-split", "-o", "json", "-n", "demo");
    assertTrue(json.out().contains("\"source\": \"applied\"")
        && json.out().contains("\"weight\": \"900m\""), json.out());
    assertEquals(0, run("get", "ts", "-n", "other").code());

    Run confDelete = run("delete", "sp", "emoji-svc.demo.svc.cluster.local");
    assertEquals(1, confDelete.code());
    assertTrue(confDelete.err().contains("comes from mesh.conf")
        && confDelete.err().contains("edit mesh.conf to remove it"), confDelete.err());
    Run unknown = run("delete", "ts", "nope");
    assertEquals(1, unknown.code());
    assertEquals("trellis delete: TrafficSplit \"nope\" not found\n", unknown.err());
    Run deleted = run("delete", "ts", "web-split");
    assertEquals(0, deleted.code(), deleted.err());
    assertEquals("trafficsplit.split.smi-spec.io \"web-split\" deleted\n", deleted.out());
    assertEquals(1, run("get", "ts", "web-split").code());
    assertEquals(0, run("delete", "sp", "web-svc.demo.svc.cluster.local").code());
  }

  @Test
  void applyFromStandardInput() {
    ApplyCommand.stdin = new ByteArrayInputStream(
        SPLIT.replace("web-split", "stdin-split").replace("service: web-svc\n  backends", "service: emoji-svc\n  backends")
            .getBytes(StandardCharsets.UTF_8));
    try {
      Run r = run("apply", "-f", "-");
      assertEquals(0, r.code(), r.err());
      assertEquals("trafficsplit.split.smi-spec.io/stdin-split created\n", r.out());
    } finally {
      ApplyCommand.stdin = System.in;
    }
    assertEquals(0, run("delete", "ts", "stdin-split").code());
  }

  @Test
  void invalidYamlExits2NamingFileLineAndKey() throws Exception {
    Path bad = write("bad.yaml", SPLIT.replace("service: emoji-svc", "service: nope-svc"));
    Run r = run("apply", "-f", bad.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("trellis apply: " + bad + ":11: spec.backends[1].service: "),
        r.err());
    Run missing = run("apply", "-f", dir.resolve("none.yaml").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("none.yaml: cannot read: no such file"), missing.err());
    Run kind = run("get", "pods");
    assertEquals(2, kind.code());
    assertTrue(kind.err().contains("unknown kind \"pods\"; expected sp"), kind.err());
  }

  @Test
  void unreachableControlPlaneExits1NamingTheAddress() {
    int port = freePort();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
        "get", "sp", "--control-plane", "127.0.0.1:" + port);
    assertEquals(1, code);
    assertTrue(err.toString().contains("cannot reach the control plane at 127.0.0.1:" + port),
        err.toString());
  }

  /** Volatile parts (paths, ports) masked. */
  private String masked(String text) {
    return text.replace(dir.toAbsolutePath().toString(), "DIR")
        .replaceAll("127\\.0\\.0\\.1:\\d+", "127.0.0.1:PORT")
        .replaceAll("\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z", "DATE");
  }

  @Test
  void checkPassesForTheControlPlaneAndFailsForAMissingProxy() {
    Run r = run("check");
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals("""
        trellis-control-plane
        ---------------------
        √ control plane API is reachable at 127.0.0.1:PORT
        √ cluster members are up (1: 127.0.0.1:PORT)
        √ split brain resolver is configured (keep-majority)

        trellis-config
        --------------
        √ mesh.conf is valid (DIR/mesh.conf)

        trellis-identity
        ----------------
        √ certificate config is valid
        √ trust anchors are within their validity period (1 trust anchor(s))
        √ trust anchors are valid for at least 30 days
        √ issuer cert is within its validity period (until DATE)
        √ issuer cert is valid for at least 30 days
        √ issuer cert is issued by the trust anchor

        Status check results are √
        """, masked(r.out()));

    Run proxy = run("check", "--proxy");
    assertEquals(1, proxy.code());
    String out = masked(proxy.out());
    assertTrue(out.contains("""
        trellis-data-plane
        ------------------
        × data plane proxies are ready (0/1)
            web (127.0.0.1:PORT): Connect"""), out);
    assertTrue(out.contains("""
        × data plane proxies are subscribed to the control plane (0/1)
            not subscribed to 127.0.0.1:PORT: web
        """), out);
    assertTrue(out.endsWith("Status check results are ×\n"), out);
    // The proxy is not running: its certificate cannot be read either.
    assertTrue(out.contains("""
        × data plane proxies have valid certificates (0/1)
            web: /metrics unreachable at 127.0.0.1:PORT
        """), out);

    // An issuer about to expire is a warning (‼), not a failure.
    assertEquals(0, Main.run(new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()), "identity", "rotate-issuer", "--state-dir",
        dir.resolve(".trellis").toString(), "--issuer-lifetime", "10d"));
    Run soon = run("check");
    assertEquals(0, soon.code(), soon.out() + soon.err());
    assertTrue(masked(soon.out()).contains("""
        ‼ issuer cert is valid for at least 30 days
            CN=identity.trellis.cluster.local expires at DATE
            hint: rotate it before it expires: trellis identity rotate-issuer --config mesh.conf
        """), soon.out());
    assertTrue(soon.out().endsWith("Status check results are √\n"), soon.out());

    Run json = run("check", "--proxy", "-o", "json", "-n", "other");
    assertEquals(1, json.code());
    assertTrue(json.out().startsWith("{\n  \"success\": false,"), json.out());
    assertTrue(json.out().contains("\"description\": \"data plane proxies exist in other\""),
        json.out());

    StringWriter o = new StringWriter();
    int code = Main.run(new PrintWriter(o), new PrintWriter(new StringWriter()),
        "check", "--control-plane", "127.0.0.1:" + freePort());
    assertEquals(1, code, o.toString());
    assertTrue(masked(o.toString()).startsWith("""
        trellis-control-plane
        ---------------------
        × control plane API is reachable at 127.0.0.1:PORT
            cannot reach the control plane"""), o.toString());
  }
}
