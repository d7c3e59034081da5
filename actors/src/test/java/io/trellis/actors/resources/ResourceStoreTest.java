package io.trellis.actors.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.trellis.actors.ControlPlane;
import io.trellis.actors.ControlPlaneSettings;
import io.trellis.actors.TestMeshes;
import io.trellis.api.destination.DestinationClient;
import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.GetDestination;
import io.trellis.api.resources.ApplyRequest;
import io.trellis.api.resources.DeleteRequest;
import io.trellis.api.resources.Kind;
import io.trellis.api.resources.ListRequest;
import io.trellis.api.resources.Resource;
import io.trellis.api.resources.ResourcesClient;
import io.trellis.config.HostPort;
import io.trellis.discovery.HoconMeshSource;
import io.trellis.discovery.destination.MeshProtos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Applied resources through the real API of real control-plane nodes: they reach proxies'
 * profile streams, outlive a restart (files in the state directory) and replicate to every node
 * of a cluster, each of which stores them.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class ResourceStoreTest {
  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create("ResourceStoreTest");
  @TempDir Path dir;

  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private final List<Runnable> cleanup = new ArrayList<>();

  static final String SPLIT = """
      apiVersion: split.smi-spec.io/v1alpha2
      kind: TrafficSplit
      metadata: {name: web-split}
      spec:
        service: web-svc
        backends:
        - {service: web-svc, weight: 90}
        - {service: emoji-svc, weight: 10}
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

  static final String CONF_PROFILE = """
      apiVersion: linkerd.io/v1alpha2
      kind: ServiceProfile
      metadata: {name: emoji-svc.demo.svc.cluster.local}
      spec: {routes: [{name: all, condition: {pathRegex: ".*"}}]}
      """;

  private Path meshConf(Path in) throws Exception {
    Files.createDirectories(in);
    Files.writeString(in.resolve("emoji-sp.yaml"), CONF_PROFILE);
    String conf = TestMeshes.meshConf("").replace("workloads {",
        "resources = [\"emoji-sp.yaml\"]\n  workloads {");
    return Files.writeString(in.resolve("mesh.conf"), conf);
  }

  /** A node; {@code seeds} empty for a node of its own. */
  private ControlPlane start(String system, Path conf, HostPort node, List<HostPort> seeds)
      throws Exception {
    HoconMeshSource source = HoconMeshSource.start(conf, Duration.ofMillis(100));
    ControlPlaneSettings settings = ControlPlaneSettings.defaults()
        .withDestination(new HostPort("127.0.0.1", TestMeshes.freePort()))
        .withNode(node)
        .withSeedNodes(seeds)
        .withStateDirBeside(conf);
    ControlPlane cp = ControlPlane.start(system, settings, source)
        .toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    cleanup.add(() -> {
      cp.stop().toCompletableFuture().join();
      source.close();
    });
    return cp;
  }

  private ResourcesClient client(ControlPlane cp) {
    ResourcesClient c = ResourcesClient.create(GrpcClientSettings.connectToServiceAt(
        "127.0.0.1", cp.destinationAddress().getPort(), testKit.system()).withTls(false),
        testKit.system());
    cleanup.add(0, () -> c.close().toCompletableFuture().join());
    return c;
  }

  @AfterEach
  void stopAll() {
    cleanup.forEach(Runnable::run);
  }

  private static <T> T await(CompletionStage<T> f) throws Exception {
    return f.toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
  }

  private static Status.Code failure(CompletionStage<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> f.toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    return Status.fromThrowable(e.getCause()).getCode();
  }

  private static List<String> names(ResourcesClient c, Kind kind) throws Exception {
    return await(c.list(ListRequest.newBuilder().setKind(kind).build())).getResourcesList()
        .stream().map(r -> r.getName() + "=" + r.getSource()).toList();
  }

  private static ApplyRequest apply(String yaml) {
    return ApplyRequest.newBuilder().setSource("in.yaml").setYaml(yaml).build();
  }

  @Test
  void appliedResourcesReachProfileStreamsAndOutliveARestart() throws Exception {
    Path conf = meshConf(dir);
    String system = "ResourceStoreTest-restart";
    ControlPlane cp = start(system, conf, new HostPort("127.0.0.1", TestMeshes.freePort()), List.of());
    ResourcesClient c = client(cp);
    DestinationClient destination = DestinationClient.create(GrpcClientSettings
        .connectToServiceAt("127.0.0.1", cp.destinationAddress().getPort(), testKit.system())
        .withTls(false), testKit.system());
    cleanup.add(0, () -> destination.close().toCompletableFuture().join());
    TestSubscriber.Probe<DestinationProfile> profiles = destination
        .getProfile(GetDestination.newBuilder().setPath("web-svc").build())
        .runWith(TestSink.create(testKit.system()), testKit.system());
    DestinationProfile before = profiles.request(10).expectNext(DEADLINE);
    assertFalse(before.getHasProfile());
    assertTrue(MeshProtos.trafficSplit(before).isEmpty());

    var applied = await(c.apply(apply(PROFILE + "---\n" + SPLIT))).getAppliedList();
    assertEquals(List.of("web-svc.demo.svc.cluster.local=created", "web-split=created"),
        applied.stream().map(a -> a.getName() + "=" + a.getOutcome()).toList());
    // The profile stream of web-svc gets both (one or two snapshots).
    DestinationProfile after = profiles.expectNext(DEADLINE);
    if (!(after.getHasProfile() && MeshProtos.trafficSplit(after).isPresent())) {
      after = profiles.expectNext(DEADLINE);
    }
    assertEquals(1, after.getRoutesCount());
    assertEquals("web-split", MeshProtos.trafficSplit(after).get().name());

    assertEquals("unchanged",
        await(c.apply(apply(SPLIT))).getApplied(0).getOutcome());
    assertEquals("configured",
        await(c.apply(apply(SPLIT.replace("weight: 10", "weight: 20")))).getApplied(0)
            .getOutcome());
    assertEquals(List.of("emoji-svc.demo.svc.cluster.local=mesh.conf",
        "web-svc.demo.svc.cluster.local=applied"), names(c, Kind.SERVICE_PROFILE));
    assertTrue(Files.isRegularFile(
        dir.resolve(".trellis/resources/ts--web-split.yaml")));

    // Refusals: invalid YAML (file:line: key), mesh.conf's resource, unknown name.
    ExecutionException invalid = assertThrows(ExecutionException.class, () -> await(c.apply(
        apply(SPLIT.replace("service: emoji-svc", "service: nope-svc")))));
    Status status = Status.fromThrowable(invalid.getCause());
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertTrue(status.getDescription().startsWith("in.yaml:8: spec.backends[1].service: "),
        status.getDescription());
    assertEquals(Status.Code.FAILED_PRECONDITION, failure(c.delete(DeleteRequest.newBuilder()
        .setKind(Kind.SERVICE_PROFILE).setName("emoji-svc.demo.svc.cluster.local").build())));
    assertEquals(Status.Code.NOT_FOUND, failure(c.delete(DeleteRequest.newBuilder()
        .setKind(Kind.TRAFFIC_SPLIT).setName("nope").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(c.apply(apply(
        SPLIT.replace("name: web-split", "name: other-split")))));

    // Deleting the profile; restarting: the split (as configured) is still there, the profile not.
    await(c.delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE_PROFILE)
        .setName("web-svc.demo.svc.cluster.local").build()));
    cleanup.remove(cleanup.size() - 1).run(); // stops the node (the last cleanup added for it)
    ControlPlane again = start(system, conf, new HostPort("127.0.0.1", TestMeshes.freePort()), List.of());
    ResourcesClient c2 = client(again);
    assertEquals(List.of("web-split=applied"), names(c2, Kind.TRAFFIC_SPLIT));
    assertEquals(List.of("emoji-svc.demo.svc.cluster.local=mesh.conf"),
        names(c2, Kind.SERVICE_PROFILE));
    Resource split = await(c2.list(ListRequest.newBuilder().setKind(Kind.TRAFFIC_SPLIT)
        .setName("web-split").build())).getResources(0);
    assertTrue(split.getYaml().contains("weight: 20"), split.getYaml());
  }

  @Test
  void appliedOnOneNodeReachesTheOtherWhichStoresItToo() throws Exception {
    String system = "ResourceStoreTest-cluster";
    HostPort seed = new HostPort("127.0.0.1", TestMeshes.freePort());
    HostPort second = new HostPort("127.0.0.1", TestMeshes.freePort());
    Path conf1 = meshConf(dir.resolve("n1"));
    Path conf2 = meshConf(dir.resolve("n2"));
    ControlPlane n1 = start(system, conf1, seed, List.of(seed));
    ControlPlane n2 = start(system, conf2, second, List.of(seed));
    ResourcesClient c1 = client(n1);
    ResourcesClient c2 = client(n2);

    await(c1.apply(apply(SPLIT)));
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(DEADLINE, () -> {
      try {
        assertEquals(List.of("web-split=applied"), names(c2, Kind.TRAFFIC_SPLIT));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertTrue(Files.isRegularFile(dir.resolve("n2/.trellis/resources/ts--web-split.yaml")));
      return null;
    });
    await(c2.delete(DeleteRequest.newBuilder().setKind(Kind.TRAFFIC_SPLIT)
        .setName("web-split").build()));
    probe.awaitAssert(DEADLINE, () -> {
      try {
        assertEquals(List.of(), names(c1, Kind.TRAFFIC_SPLIT));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }
}
