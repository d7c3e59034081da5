package io.trellis.actors.destination;

import io.trellis.actors.TestMeshes;
import io.trellis.api.destination.EndpointSet;
import io.trellis.discovery.destination.MeshProtos;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;

/** One web-svc publisher (unsharded) fed by a mesh holder, and proxy streams subscribed to it. */
final class PublisherFixture {
  static final MeshProtos.IdentityDomain IDENTITY =
      new MeshProtos.IdentityDomain("trellis", "cluster.local");

  final ActorTestKit testKit;
  final StreamStats stats = new StreamStats();
  final ActorRef<MeshHolder.Command> holder;
  final ActorRef<ServiceDestination.Command> publisher;

  PublisherFixture(ActorTestKit testKit) {
    this.testKit = testKit;
    this.holder = testKit.spawn(MeshHolder.create(TestMeshes.withExtraWeb(0)));
    this.publisher = testKit.spawn(ServiceDestination.create("web-svc", holder,
        new ServiceDestination.Settings(IDENTITY, Duration.ofMinutes(1)), null));
  }

  /** A proxy stream of web-svc's endpoints with a queue of {@code buffer}, read by a probe. */
  TestSubscriber.Probe<EndpointSet> subscribe(int buffer) {
    Pair<BoundedSourceQueue<EndpointSet>, Source<EndpointSet, org.apache.pekko.NotUsed>> stream =
        Source.<EndpointSet>queue(buffer).preMaterialize(testKit.system());
    ProxyQueue<EndpointSet> queue = new ProxyQueue<>(stream.first(), stats, "test stream");
    testKit.spawn(DestinationStream.create(ServiceDestination.Topic.ENDPOINTS, EndpointSet.class,
        queue, publisher::tell, Duration.ofSeconds(1)));
    return stream.second().runWith(TestSink.create(testKit.system()), testKit.system());
  }

  /** Sets a mesh in which web-svc has the base workload plus {@code extra} more. */
  void setWebEndpoints(int extra) {
    holder.tell(new MeshHolder.ApplyMesh(TestMeshes.withExtraWeb(extra)));
  }
}
