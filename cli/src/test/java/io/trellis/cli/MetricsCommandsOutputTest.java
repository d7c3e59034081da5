package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.trellis.api.metrics.Edge;
import io.trellis.api.metrics.EdgesRequest;
import io.trellis.api.metrics.EdgesResponse;
import io.trellis.api.metrics.Metrics;
import io.trellis.api.metrics.MetricsHandlerFactory;
import io.trellis.api.metrics.RouteRow;
import io.trellis.api.metrics.RoutesRequest;
import io.trellis.api.metrics.RoutesResponse;
import io.trellis.api.metrics.StatRequest;
import io.trellis.api.metrics.StatResponse;
import io.trellis.api.metrics.StatRow;
import io.trellis.api.metrics.Stats;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The tables and JSON of {@code stat}, {@code edges} and {@code routes} against golden files,
 * over a real gRPC server on port 0 that answers fixed rows (the numbers' sources are tested in
 * actors and in the tests/ scenarios), and what each command asks for.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsCommandsOutputTest {
  ActorSystem system;
  ServerBinding binding;
  final AtomicReference<Object> asked = new AtomicReference<>();

  static Stats stats(double success, double rps, double p50, double p95, double p99) {
    return Stats.newBuilder().setHasTraffic(true).setSuccessRate(success).setRps(rps)
        .setLatencyP50Ms(p50).setLatencyP95Ms(p95).setLatencyP99Ms(p99).build();
  }

  final Metrics fixed = new Metrics() {
    @Override
    public CompletionStage<StatResponse> statSummary(StatRequest in) {
      asked.set(in);
      if (in.getResource().getType().equals("pods")) {
        return CompletableFuture.failedFuture(new GrpcServiceException(
            Status.INVALID_ARGUMENT.withDescription("unknown resource type 'pods'")));
      }
      StatResponse.Builder r = StatResponse.newBuilder().setSource("test");
      if (in.getResource().getType().equals("ts")) {
        r.addRows(StatRow.newBuilder().setName("web-split").setApex("web-svc").setLeaf("web-svc")
            .setWeight("900m").setStats(stats(1, 1.8, 1, 4, 9)));
        r.addRows(StatRow.newBuilder().setName("web-split").setApex("web-svc")
            .setLeaf("web-canary").setWeight("100m").setStats(Stats.getDefaultInstance()));
        return CompletableFuture.completedFuture(r.build());
      }
      r.addRows(StatRow.newBuilder().setName("emoji").setNamespace("emojivoto").setMeshed(1)
          .setPods(1).setStats(stats(1, 2.0, 1, 4, 9)).setHasTcp(true).setTcpConnections(3));
      r.addRows(StatRow.newBuilder().setName("voting").setNamespace("emojivoto").setMeshed(1)
          .setPods(1).setStats(stats(0.8333, 0.6, 1.4, 19.2, 27.8)).setHasTcp(true)
          .setTcpConnections(1));
      r.addRows(StatRow.newBuilder().setName("vote-bot").setNamespace("emojivoto").setMeshed(0)
          .setPods(1).setStats(Stats.getDefaultInstance()));
      return CompletableFuture.completedFuture(r.build());
    }

    @Override
    public CompletionStage<EdgesResponse> edges(EdgesRequest in) {
      asked.set(in);
      return CompletableFuture.completedFuture(EdgesResponse.newBuilder()
          .addEdges(Edge.newBuilder().setSrc("vote-bot").setDst("web").setSrcNamespace("emojivoto")
              .setDstNamespace("emojivoto"))
          .addEdges(Edge.newBuilder().setSrc("web").setDst("emoji").setSrcNamespace("emojivoto")
              .setDstNamespace("emojivoto").setSecured(true)
              .setClientId("web.emojivoto.serviceaccount")
              .setServerId("emoji.emojivoto.serviceaccount"))
          .build());
    }

    @Override
    public CompletionStage<RoutesResponse> routes(RoutesRequest in) {
      asked.set(in);
      return CompletableFuture.completedFuture(RoutesResponse.newBuilder()
          .addRows(RouteRow.newBuilder().setRoute("GET /api/list").setService("web-svc")
              .setStats(stats(1, 0.5, 2, 3, 3)).setActual(stats(0.75, 0.7, 2, 3, 3)))
          .addRows(RouteRow.newBuilder().setRoute("[DEFAULT]").setService("web-svc")
              .setStats(Stats.getDefaultInstance()).setActual(Stats.getDefaultInstance()))
          .build());
    }
  };

  @BeforeAll
  void start() {
    system = ActorSystem.create("metrics-cli-test", ConfigFactory.parseString(
        "pekko.http.server.enable-http2 = on\npekko.http.server.preview.enable-http2 = on")
        .withFallback(ConfigFactory.load()));
    binding = Http.get(system).newServerAt("127.0.0.1", 0)
        .bind(MetricsHandlerFactory.create(fixed, system))
        .toCompletableFuture().join();
  }

  @AfterAll
  void stop() {
    system.terminate();
  }

  record Out(int code, String out, String err) {}

  Out run(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--control-plane";
    all[args.length + 1] = "127.0.0.1:" + binding.localAddress().getPort();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), all);
    return new Out(code, out.toString(), err.toString());
  }

  static String golden(String name) throws Exception {
    try (InputStream in = MetricsCommandsOutputTest.class.getResourceAsStream("/golden/" + name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** As Linkerd's {@code go test -update}: {@code -Dtrellis.golden.update=true} rewrites them. */
  void assertGolden(String name, Out r) throws Exception {
    assertEquals(0, r.code(), r.err());
    if (Boolean.getBoolean("trellis.golden.update")) {
      java.nio.file.Files.writeString(
          java.nio.file.Path.of("src/test/resources/golden", name), r.out());
      return;
    }
    assertEquals(golden(name), r.out());
  }

  @Test
  void statDeploy() throws Exception {
    assertGolden("stat-deploy.golden", run("stat", "deploy", "-n", "emojivoto", "-t", "30s"));
    StatRequest req = (StatRequest) asked.get();
    assertEquals("deploy", req.getResource().getType());
    assertEquals("emojivoto", req.getNamespace());
    assertEquals("30s", req.getWindow());
  }

  @Test
  void statDeployJson() throws Exception {
    assertGolden("stat-deploy.json.golden", run("stat", "deploy/emoji", "-o", "json"));
    assertEquals("emoji", ((StatRequest) asked.get()).getResource().getName());
  }

  @Test
  void statTrafficSplit() throws Exception {
    assertGolden("stat-ts.golden", run("stat", "ts"));
  }

  @Test
  void statFromAndTo() throws Exception {
    run("stat", "deploy", "--from", "deploy/vote-bot", "--to", "svc/web-svc");
    StatRequest req = (StatRequest) asked.get();
    assertEquals("vote-bot", req.getFrom().getName());
    assertEquals("svc", req.getTo().getType());
    Out bad = run("stat", "deploy", "--to", "web-svc");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--to web-svc: expected TYPE/NAME"), bad.err());
  }

  @Test
  void badRequestsAreUsageErrorsWithTheServersReason() {
    Out r = run("stat", "pods");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown resource type 'pods'"), r.err());
  }

  @Test
  void edgesAndWide() throws Exception {
    assertGolden("edges.golden", run("edges", "deploy"));
    assertGolden("edges-wide.golden", run("edges", "deploy", "-o", "wide"));
  }

  @Test
  void routesAndWideWithTo() throws Exception {
    assertGolden("routes.golden", run("routes", "svc/web-svc"));
    assertGolden("routes-wide.golden",
        run("routes", "deploy/vote-bot", "--to", "svc/web-svc", "-o", "wide"));
    RoutesRequest req = (RoutesRequest) asked.get();
    assertEquals("web-svc", req.getTo().getName());
  }

  @Test
  void anUnreachableControlPlaneIsNamed() {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
        "stat", "deploy", "--control-plane", "127.0.0.1:1");
    assertEquals(1, code);
    assertTrue(err.toString().contains("cannot reach the control plane at 127.0.0.1:1"),
        err.toString());
  }

  @Test
  void aBadPrometheusUrlStopsTheControlPlaneWithTheKey(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    java.nio.file.Path conf = dir.resolve("mesh.conf");
    java.nio.file.Files.writeString(conf, """
        trellis.mesh { namespace = demo }
        trellis.metrics { prometheus-url = "localhost:9090" }
        """);
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
        "control-plane", "--config", conf.toString());
    assertEquals(2, code);
    assertTrue(err.toString().contains("trellis.metrics.prometheus-url"), err.toString());
  }
}
