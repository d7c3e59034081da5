package io.trellis.actors;

import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the cluster's membership as this node sees it, one INFO line per change:
 * {@code cluster members up: N [host:port, ...]}, and a line when a member becomes unreachable
 * or reachable again. Pekko's own cluster lines are below the CLI's log level; these are what an
 * operator (and the HA scenario test) reads to know the cluster formed and a dead node was
 * removed.
 */
final class ClusterMembersLog {
  private static final Logger log = LoggerFactory.getLogger(ClusterMembersLog.class);

  private ClusterMembersLog() {}

  static Behavior<ClusterEvent.ClusterDomainEvent> create() {
    return Behaviors.setup(ctx -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      // Typed subscriptions replay the current state as events (MemberUp for every Up member).
      cluster.subscriptions().tell(Subscribe.create(
          ctx.getSelf().<ClusterEvent.MemberEvent>narrow(), ClusterEvent.MemberEvent.class));
      cluster.subscriptions().tell(Subscribe.create(
          ctx.getSelf().<ClusterEvent.ReachabilityEvent>narrow(),
          ClusterEvent.ReachabilityEvent.class));
      Set<String> up = new TreeSet<>();
      return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
          .onMessage(ClusterEvent.MemberUp.class, e -> {
            if (up.add(hostPort(e.member()))) {
              log.info("cluster members up: {} {}", up.size(), up);
            }
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberRemoved.class, e -> {
            if (up.remove(hostPort(e.member()))) {
              log.info("cluster member {} removed ({}); cluster members up: {} {}",
                  hostPort(e.member()), e.previousStatus(), up.size(), up);
            }
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.UnreachableMember.class, e -> {
            log.info("cluster member {} is unreachable", hostPort(e.member()));
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.ReachableMember.class, e -> {
            log.info("cluster member {} is reachable again", hostPort(e.member()));
            return Behaviors.same();
          })
          .onAnyMessage(e -> Behaviors.same())
          .build();
    });
  }

  private static String hostPort(org.apache.pekko.cluster.Member m) {
    return m.address().host().get() + ":" + m.address().port().get();
  }
}
