package io.trellis.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trellis.actors.destination.ServiceDestination;
import io.trellis.api.destination.DestinationClient;
import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.GetDestination;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.discovery.destination.DestinationApiSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three control-plane nodes in one JVM (same system name, own artery ports, own discovery
 * source each). Proxy streams opened on node 1 for services whose entities live elsewhere keep
 * delivering after the node hosting them leaves: the entities restart on the survivors from
 * their local mesh snapshots and the streams re-subscribe, whether the node left or was downed.
 * A proxy-side source connected to that node moves to the next address. (The 3-JVM kill -9 scenario builds on this in tests/.)
 */
@ExtendWith(TestKitJUnit5Extension.class)
class ControlPlaneClusterFailoverTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create("ControlPlaneClusterFailoverTest");

  private static final String CLUSTER = "ControlPlaneClusterFailoverTest-cp";
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final List<String> SERVICES = List.of("web-svc", "emoji-svc", "voting-svc");

  /** The base mesh plus {@code n} workloads serving all three meshed services. */
  private static MeshConfig meshWith(int n) {
    StringBuilder extra = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      extra.append("all").append(i).append(" { address = \"127.0.2.").append(i)
          .append("\", app-port = 8080, serves = [web-svc, emoji-svc, voting-svc] }\n");
    }
    return TestMeshes.mesh(extra.toString());
  }

  /** How the node hosting the entities goes away. */
  enum Exit {
    /** Ctrl-C: coordinated shutdown, leaves the cluster, hands its shards over. */
    LEAVE,
    /** Downed by a survivor while still running (what the split brain resolver does). */
    DOWN
  }

  @ParameterizedTest
  @EnumSource(Exit.class)
  void streamsSurviveTheNodeHostingTheirEntitiesGoingAway(Exit exit) throws Exception {
    List<HostPort> artery = List.of(
        new HostPort("127.0.0.1", TestMeshes.freePort()),
        new HostPort("127.0.0.1", TestMeshes.freePort()),
        new HostPort("127.0.0.1", TestMeshes.freePort()));
    List<TestMeshes.MutableMesh> sources = new ArrayList<>();
    List<ControlPlane> nodes = new ArrayList<>();
    List<DestinationClient> clients = new ArrayList<>();
    DestinationApiSource proxySide = null;
    try {
      for (HostPort node : artery) {
        TestMeshes.MutableMesh source = new TestMeshes.MutableMesh(meshWith(0));
        sources.add(source);
        ControlPlaneSettings settings = ControlPlaneSettings.defaults()
            .withDestination(new HostPort("127.0.0.1", TestMeshes.freePort()))
            .withNode(node)
            .withSeedNodes(artery.subList(0, 2));
        nodes.add(ControlPlane.start(CLUSTER, settings, source)
            .toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      }
      TestProbe<Object> probe = testKit.createTestProbe();
      probe.awaitAssert(DEADLINE, () -> {
        for (ControlPlane node : nodes) {
          long up = java.util.stream.StreamSupport.stream(
                  Cluster.get(node.system()).state().getMembers().spliterator(), false)
              .filter(m -> m.status() == MemberStatus.up()).count();
          assertEquals(3, up);
        }
        return null;
      });

      // Proxy streams on node 1 for three services: sharding spreads their entities.
      DestinationClient viaNode1 = client(nodes.get(0));
      clients.add(viaNode1);
      Map<String, TestSubscriber.Probe<EndpointSet>> streams = new HashMap<>();
      for (String service : SERVICES) {
        TestSubscriber.Probe<EndpointSet> stream = viaNode1
            .get(GetDestination.newBuilder().setPath(service).build())
            .runWith(TestSink.create(testKit.system()), testKit.system());
        assertEquals(1, stream.request(100).expectNext(DEADLINE).getEndpointsCount());
        streams.put(service, stream);
      }
      int victim = nodeHostingMostEntities(nodes, probe);

      // A proxy that reaches the cluster through the victim first.
      proxySide = DestinationApiSource.start(testKit.system(), DestinationApiSource.Settings.of(
          List.of(address(nodes.get(victim)), address(nodes.get(0))), "proxy-test"));
      proxySide.whenReady().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      CompletableFuture<MeshConfig> proxySawChange = new CompletableFuture<>();
      proxySide.subscribe(m -> {
        if (SERVICES.stream().allMatch(s -> m.endpointsOf(s).size() == 2)) {
          proxySawChange.complete(m);
        }
      });

      ControlPlane gone = nodes.get(victim);
      if (exit == Exit.DOWN) {
        Cluster.get(nodes.get(0).system()).manager()
            .tell(new Down(Cluster.get(gone.system()).selfMember().address()));
      } else {
        gone.stop();
      }
      // Either way the node ends up terminated (a downed node shuts itself down).
      gone.system().getWhenTerminated().toCompletableFuture()
          .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      for (int i = 0; i < sources.size(); i++) {
        if (i != victim) {
          sources.get(i).set(meshWith(1));
        }
      }

      for (String service : SERVICES) {
        assertEquals(2, streams.get(service).expectNext(DEADLINE).getEndpointsCount(), service);
      }
      MeshConfig seen = proxySawChange.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertEquals(List.of("all1", "web"),
          seen.endpointsOf("web-svc").stream().map(e -> e.workload()).toList());
    } finally {
      if (proxySide != null) {
        proxySide.close();
      }
      clients.forEach(DestinationClient::close);
      for (ControlPlane node : nodes) {
        node.stop().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      }
    }
  }

  /** The node (other than node 1, which serves the streams) hosting most service entities. */
  private int nodeHostingMostEntities(List<ControlPlane> nodes, TestProbe<Object> unused) {
    int best = -1;
    int bestCount = 0;
    for (int i = 1; i < nodes.size(); i++) {
      ActorTestKit kit = ActorTestKit.create(nodes.get(i).system());
      TestProbe<ShardRegion.CurrentShardRegionState> reply = kit.createTestProbe();
      ClusterSharding.get(nodes.get(i).system()).shardState()
          .tell(new GetShardRegionState(ServiceDestination.KEY, reply.getRef()));
      Set<ShardRegion.ShardState> shards = reply.receiveMessage(DEADLINE).getShards();
      int count = shards.stream().mapToInt(s -> s.getEntityIds().size()).sum();
      if (count > bestCount) {
        best = i;
        bestCount = count;
      }
    }
    assertFalse(best < 0, "no service entity runs outside node 1");
    return best;
  }

  private static HostPort address(ControlPlane node) {
    return new HostPort("127.0.0.1", node.destinationAddress().getPort());
  }

  private DestinationClient client(ControlPlane node) {
    return DestinationClient.create(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", node.destinationAddress().getPort(),
            testKit.system()).withTls(false),
        testKit.system());
  }
}
