package io.trellis.actors.destination;

import io.trellis.config.MeshConfig;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * This node's latest mesh snapshot, and who watches it. One per control-plane node, never
 * sharded: every node runs its own discovery source, so any node can (re)derive any service's
 * state. That is what makes rebalancing lossless: a service entity that moves starts on its new
 * node, asks this holder and has the full state at once, without a hand-over.
 *
 * <p>Watchers get the current snapshot in reply to {@link Watch} and then every change, in order,
 * from this one actor: no change can fall between reading and subscribing.
 */
public final class MeshHolder extends AbstractBehavior<MeshHolder.Command> {

  public interface Command {}

  /** A new snapshot from the discovery source. */
  public record ApplyMesh(MeshConfig mesh) implements Command {}

  /** Sends {@code watcher} the current snapshot now and every new one until it stops. */
  public record Watch(ActorRef<MeshConfig> watcher) implements Command {}

  private record WatcherTerminated(ActorRef<MeshConfig> watcher) implements Command {}

  public static Behavior<Command> create(MeshConfig initial) {
    return Behaviors.setup(ctx -> new MeshHolder(ctx, initial));
  }

  private final Set<ActorRef<MeshConfig>> watchers = new HashSet<>();
  private MeshConfig current;

  private MeshHolder(ActorContext<Command> ctx, MeshConfig initial) {
    super(ctx);
    this.current = initial;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ApplyMesh.class, this::onApplyMesh)
        .onMessage(Watch.class, this::onWatch)
        .onMessage(WatcherTerminated.class, this::onWatcherTerminated)
        .build();
  }

  private Behavior<Command> onApplyMesh(ApplyMesh m) {
    if (!m.mesh().equals(current)) {
      current = m.mesh();
      watchers.forEach(w -> w.tell(current));
    }
    return this;
  }

  private Behavior<Command> onWatch(Watch w) {
    if (watchers.add(w.watcher())) {
      getContext().watchWith(w.watcher(), new WatcherTerminated(w.watcher()));
    }
    w.watcher().tell(current);
    return this;
  }

  private Behavior<Command> onWatcherTerminated(WatcherTerminated t) {
    watchers.remove(t.watcher());
    return this;
  }
}
