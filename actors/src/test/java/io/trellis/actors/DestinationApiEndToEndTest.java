package io.trellis.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.api.destination.DestinationClient;
import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.GetDestination;
import io.trellis.api.destination.ServiceList;
import io.trellis.api.destination.WatchServicesRequest;
import io.trellis.config.FailureAccrual;
import io.trellis.config.Fault;
import io.trellis.config.HeaderRoute;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.discovery.destination.DestinationApiSource;
import io.trellis.discovery.destination.MeshProtos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One control-plane node on a real mesh.conf (HOCON source, watched): the gRPC API end to end
 * with the generated client, and the proxy-side {@link DestinationApiSource} against it.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DestinationApiEndToEndTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create("DestinationApiEndToEndTest");

  private static final Duration DEADLINE = Duration.ofSeconds(20);

  private Path dir;
  private Path meshConf;
  private HoconMeshSource source;
  private ControlPlane node;
  private DestinationClient client;

  @BeforeAll
  void start() throws Exception {
    // @TempDir is not injected before a PER_CLASS @BeforeAll; the build's target/ holds it.
    dir = Files.createTempDirectory(Path.of("target"), "mesh-");
    Files.createDirectories(dir.resolve("profiles"));
    Files.writeString(dir.resolve("profiles/web-svc.yaml"), """
        apiVersion: linkerd.io/v1alpha2
        kind: ServiceProfile
        metadata:
          name: web-svc.demo.svc.cluster.local
        spec:
          routes:
          - name: GET /api/list
            condition:
              method: GET
              pathRegex: /api/list
            responseClasses:
            - condition:
                status: {min: 500, max: 599}
              isFailure: true
            isRetryable: true
            timeout: 300ms
            x-trellis-fault:
              delay: {percent: 5, duration: 200ms}
          - name: POST /api/vote
            condition:
              all:
              - method: POST
              - not: {pathRegex: /api/vote/x}
          retryBudget: {retryRatio: 0.3, minRetriesPerSecond: 5, ttl: 5s}
          dstOverrides:
          - authority: emoji-svc.demo.svc.cluster.local:8080
            weight: 500m
        ---
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web-split}
        spec:
          service: web-svc
          backends:
          - service: web-svc
            weight: 9
          - service: voting-svc
            weight: 1
        """);
    meshConf = dir.resolve("mesh.conf");
    writeMesh("");
    source = HoconMeshSource.start(meshConf, Duration.ofMillis(100));
    ControlPlaneSettings settings = ControlPlaneSettings.defaults()
        .withDestination(new HostPort("127.0.0.1", TestMeshes.freePort()))
        .withNode(new HostPort("127.0.0.1", TestMeshes.freePort()));
    node = ControlPlane.start("DestinationApiEndToEndTest-cp", settings, source)
        .toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    client = DestinationClient.create(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", node.destinationAddress().getPort(),
            testKit.system()).withTls(false),
        testKit.system());
  }

  @AfterAll
  void stop() throws Exception {
    client.close();
    node.stop().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    source.close();
  }

  private void writeMesh(String extraWorkloads) throws Exception {
    String text = TestMeshes.meshConf(extraWorkloads)
        .replace("namespace = demo", "namespace = demo\n  resources = [\"profiles\"]")
        .replace("web-svc { port = 80 }", """
            web-svc {
              port = 80
              routing = [{ match { headers { x-canary = "true" } }, backend = voting-svc }]
              faults { "[DEFAULT]" { abort { percent = 10, status = 503 } } }
              failure-accrual { consecutive-failures = 3 }
            }
            """);
    Path tmp = dir.resolve("mesh.conf.tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, meshConf, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Puts mesh.conf back as the tests start from, and waits until the source has it. */
  private void resetMesh() throws Exception {
    writeMesh("");
    testKit.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(1, source.current().endpointsOf("web-svc").size());
      return null;
    });
  }

  private GetDestination path(String path) {
    return GetDestination.newBuilder().setPath(path).setContextToken("test").build();
  }

  @Test
  void grpcStreamsEndpointsProfileAndServicesAndFollowsMeshConfEdits() throws Exception {
    resetMesh();
    TestSubscriber.Probe<EndpointSet> endpoints = client
        .get(path("web-svc.demo.svc.cluster.local:80"))
        .runWith(TestSink.create(testKit.system()), testKit.system());
    EndpointSet first = endpoints.request(10).expectNext(DEADLINE);
    assertEquals("web-svc", first.getService());
    assertEquals(List.of("web"),
        first.getEndpointsList().stream().map(e -> e.getWorkload()).toList());

    DestinationProfile profile = client.getProfile(path("web-svc"))
        .runWith(TestSink.create(testKit.system()), testKit.system())
        .request(1).expectNext(DEADLINE);
    MeshConfig mesh = source.current();
    assertEquals(mesh.profileOf("web-svc"), MeshProtos.serviceProfile(profile));
    assertEquals(mesh.splitOf("web-svc"), MeshProtos.trafficSplit(profile));

    ServiceList services = client.watchServices(WatchServicesRequest.getDefaultInstance())
        .runWith(TestSink.create(testKit.system()), testKit.system())
        .request(1).expectNext(DEADLINE);
    assertEquals("demo", services.getNamespace());
    assertEquals(4, services.getServicesCount());

    EndpointSet unknown = client.get(path("nope"))
        .runWith(TestSink.create(testKit.system()), testKit.system())
        .request(1).expectNext(DEADLINE);
    assertFalse(unknown.getExists());

    writeMesh("web2 { address = \"127.0.0.21\", app-port = 8080, serves = [web-svc] }");
    EndpointSet edited = endpoints.expectNext(DEADLINE);
    assertEquals(List.of("web", "web2"),
        edited.getEndpointsList().stream().map(e -> e.getWorkload()).toList());
    endpoints.cancel();
  }

  @Test
  void proxySourceAssemblesTheMeshAndSkipsAnUnreachableAddress() throws Exception {
    resetMesh();
    HostPort dead = new HostPort("127.0.0.1", TestMeshes.freePort());
    HostPort live = new HostPort("127.0.0.1", node.destinationAddress().getPort());
    DestinationApiSource proxySide = DestinationApiSource.start(testKit.system(),
        DestinationApiSource.Settings.of(List.of(dead, live), "test-proxy"));
    try {
      MeshConfig assembled = proxySide.whenReady().toCompletableFuture()
          .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      MeshConfig expected = source.current();
      for (String service : expected.services().keySet()) {
        assertEquals(expected.endpointsOf(service), assembled.endpointsOf(service), service);
        assertEquals(expected.profileOf(service), assembled.profileOf(service), service);
        assertEquals(expected.splitOf(service), assembled.splitOf(service), service);
        assertEquals(expected.services().get(service), assembled.services().get(service),
            service);
      }
      // What a mesh.conf proxy applies per request reached this one too.
      ServiceConfig web = assembled.services().get("web-svc");
      assertEquals(List.of(new HeaderRoute(
              List.of(HeaderRoute.HeaderMatch.exact("x-canary", "true")), "voting-svc")),
          web.routing());
      assertEquals(Map.of("[DEFAULT]", new Fault(new Fault.Abort(10, 503, 14), null)),
          web.faults());
      assertEquals(new FailureAccrual(3, null, null, null), web.failureAccrual());
      assertEquals(new Fault(null, new Fault.Delay(5, Duration.ofMillis(200))),
          assembled.profileOf("web-svc").orElseThrow().routes().get(0).fault());
      assertEquals(expected.resolve("web-svc.demo:80", 80),
          assembled.resolve("web-svc.demo:80", 80));

      CompletableFuture<MeshConfig> withWeb3 = new CompletableFuture<>();
      proxySide.subscribe(m -> {
        if (m.endpointsOf("web-svc").size() == 2) {
          withWeb3.complete(m);
        }
      });
      writeMesh("web3 { address = \"127.0.0.23\", app-port = 8080, serves = [web-svc] }");
      MeshConfig edited = withWeb3.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertEquals("web3", edited.endpointsOf("web-svc").get(1).workload());
      assertTrue(edited.endpointsOf("web-svc").get(1).meshed());
    } finally {
      proxySide.close();
    }
  }
}
