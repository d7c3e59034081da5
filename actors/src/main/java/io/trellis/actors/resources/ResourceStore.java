package io.trellis.actors.resources;

import io.grpc.Status;
import io.trellis.actors.destination.MeshHolder;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigException;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.ResourceDocument;
import io.trellis.config.ResourceDocument.Kind;
import io.trellis.config.ServiceProfile;
import io.trellis.config.TrafficSplit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * A node's view of the applied ServiceProfiles and TrafficSplits, and the effective mesh: what
 * mesh.conf lists with the applied resources over it (an applied resource replaces mesh.conf's of
 * the same kind and name). It feeds that mesh to the node's {@link MeshHolder}, so proxies get
 * applied resources through the destination API like any other.
 *
 * <p>Replication: every node holds the whole set in a Distributed Data {@code LWWMap} (key: kind
 * and name; value: {@link StoredResource}'s text, deletions kept as tombstones), written with
 * write-majority and spread by gossip. The register clock is the resource's own timestamp, so the
 * later apply or delete wins on every node, including a node that restarts with older files.
 *
 * <p>Persistence: every node writes each entry to {@code <state-dir>/resources/<key>.yaml}
 * (temporary file, then an atomic rename) and on start puts what it finds there back into the
 * map. A cluster keeps its resources as long as one node's directory survives.
 */
public final class ResourceStore {
  private ResourceStore() {}

  public interface Command {}

  /** A new mesh from mesh.conf (the discovery source). */
  public record BaseMesh(MeshConfig mesh) implements Command {}

  /** A result, or the refusal to show the user. */
  public record Reply<T>(T value, ResourceException error) {
    static <T> Reply<T> ok(T value) {
      return new Reply<>(value, null);
    }

    static <T> Reply<T> fail(ResourceException e) {
      return new Reply<>(null, e);
    }
  }

  /** What one applied document did: created, configured or unchanged. */
  public record Outcome(Kind kind, String name, String outcome) {}

  public record Apply(String source, String yaml, ActorRef<Reply<List<Outcome>>> replyTo)
      implements Command {}

  public record Delete(Kind kind, String name, ActorRef<Reply<String>> replyTo)
      implements Command {}

  /** One resource of the effective mesh. */
  public record Listed(
      Kind kind, String name, String namespace, boolean applied, long sinceMillis, String yaml) {}

  /** The resources of {@code kind}, or the one named {@code name} when not empty. */
  public record ListResources(Kind kind, String name, ActorRef<Reply<List<Listed>>> replyTo)
      implements Command {}

  private record Changed(Map<String, String> entries) implements Command {}

  private record Written(Runnable reply) implements Command {}

  static final Key<LWWMap<String, String>> KEY = LWWMapKey.create("trellis-resources");

  /**
   * @param stateDir the node's state directory ({@code resources/} is used below it); null keeps
   *     resources in memory and in the cluster only
   */
  public static Behavior<Command> create(
      MeshConfig initial, ActorRef<MeshHolder.Command> holder, Path stateDir, Duration writeTimeout) {
    return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, String>> replicator) ->
            new State(ctx, replicator, initial, holder,
                stateDir == null ? null : stateDir.resolve("resources"), writeTimeout).start()));
  }

  private static final class State {
    private final ActorContext<Command> ctx;
    private final ReplicatorMessageAdapter<Command, LWWMap<String, String>> replicator;
    private final ActorRef<MeshHolder.Command> holder;
    private final Path dir;
    private final Duration writeTimeout;
    private final SelfUniqueAddress self;
    private MeshConfig base;
    /** Every replicated entry by key, decoded (tombstones included). */
    private Map<String, StoredResource> entries = new TreeMap<>();
    /** What this node has on disk, by key. */
    private final Map<String, String> persisted = new HashMap<>();
    /** Parsed applied documents against {@link #base}, by encoded entry; cleared on a new base. */
    private final Map<String, Optional<ResourceDocument>> parsed = new HashMap<>();
    private MeshConfig effective;

    State(
        ActorContext<Command> ctx,
        ReplicatorMessageAdapter<Command, LWWMap<String, String>> replicator,
        MeshConfig initial,
        ActorRef<MeshHolder.Command> holder,
        Path dir,
        Duration writeTimeout) {
      this.ctx = ctx;
      this.replicator = replicator;
      this.base = initial;
      this.holder = holder;
      this.dir = dir;
      this.writeTimeout = writeTimeout;
      this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    }

    Behavior<Command> start() {
      replicator.subscribe(KEY, rsp -> rsp instanceof Replicator.Changed<LWWMap<String, String>> c
          ? new Changed(c.get(KEY).getEntries())
          : new Changed(Map.of()));
      List<StoredResource> loaded = load();
      // In force at once, before the replicator reports them back (merged with the cluster's).
      loaded.forEach(r -> entries.put(r.key(), r));
      if (!loaded.isEmpty()) {
        replicator.askUpdate(
            replyTo -> new Replicator.Update<>(KEY, LWWMap.create(), Replicator.writeLocal(),
                replyTo, map -> putAll(map, loaded)),
            rsp -> new Written(() -> {}));
      }
      publish();
      return Behaviors.receive(Command.class)
          .onMessage(BaseMesh.class, this::onBaseMesh)
          .onMessage(Changed.class, this::onChanged)
          .onMessage(Apply.class, this::onApply)
          .onMessage(Delete.class, this::onDelete)
          .onMessage(ListResources.class, this::onList)
          .onMessage(Written.class, w -> {
            w.reply().run();
            return Behaviors.same();
          })
          .build();
    }

    /** Puts each entry unless the map has a later version of it. */
    private LWWMap<String, String> putAll(LWWMap<String, String> map, List<StoredResource> rs) {
      LWWMap<String, String> out = map;
      for (StoredResource r : rs) {
        Optional<StoredResource> have = Optional.ofNullable(out.getEntries().get(r.key()))
            .flatMap(StoredResource::decode);
        if (have.isEmpty() || have.get().atMillis() < r.atMillis()) {
          long at = r.atMillis();
          out = out.put(self, r.key(), r.encode(), (current, value) -> at);
        }
      }
      return out;
    }

    private Behavior<Command> onBaseMesh(BaseMesh m) {
      if (!m.mesh().equals(base)) {
        base = m.mesh();
        parsed.clear();
        publish();
      }
      return Behaviors.same();
    }

    private Behavior<Command> onChanged(Changed c) {
      Map<String, StoredResource> next = new TreeMap<>();
      c.entries().forEach((k, v) -> StoredResource.decode(v).ifPresent(r -> next.put(k, r)));
      entries = next;
      persist(c.entries());
      publish();
      return Behaviors.same();
    }

    private Behavior<Command> onApply(Apply a) {
      List<ResourceDocument> docs;
      try {
        docs = MeshConfigLoader.parseResources(a.yaml(), Path.of(a.source()), base);
      } catch (MeshConfigException e) {
        a.replyTo().tell(Reply.fail(new ResourceException(Status.Code.INVALID_ARGUMENT,
            e.getMessage())));
        return Behaviors.same();
      }
      if (docs.isEmpty()) {
        a.replyTo().tell(Reply.fail(new ResourceException(Status.Code.INVALID_ARGUMENT,
            a.source() + ": no ServiceProfile or TrafficSplit in it")));
        return Behaviors.same();
      }
      try {
        checkSplitApexes(docs);
      } catch (ResourceException e) {
        a.replyTo().tell(Reply.fail(e));
        return Behaviors.same();
      }
      List<Outcome> outcomes = new ArrayList<>();
      List<StoredResource> writes = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (ResourceDocument d : docs) {
        StoredResource have = live(d.kind(), d.name());
        String outcome = have == null ? "created"
            : have.yaml().equals(d.yaml()) ? "unchanged" : "configured";
        outcomes.add(new Outcome(d.kind(), d.name(), outcome));
        if (have == null || !outcome.equals("unchanged")) {
          StoredResource previous = entries.get(StoredResource.key(d.kind(), d.name()));
          long at = previous == null ? now : Math.max(now, previous.atMillis() + 1);
          writes.add(new StoredResource(d.kind(), d.name(), false, at, d.yaml()));
        }
      }
      write(writes, () -> a.replyTo().tell(Reply.ok(outcomes)));
      return Behaviors.same();
    }

    /** A split may take an apex that another split holds only by replacing it (same name). */
    private void checkSplitApexes(List<ResourceDocument> docs) {
      for (ResourceDocument d : docs) {
        if (d.kind() != Kind.TRAFFIC_SPLIT) {
          continue;
        }
        String apex = d.split().service();
        for (TrafficSplit other : effectiveMesh().splits()) {
          if (other.service().equals(apex) && !other.name().equals(d.name())) {
            boolean fromConf = live(Kind.TRAFFIC_SPLIT, other.name()) == null;
            throw new ResourceException(Status.Code.INVALID_ARGUMENT, d.file() + ":" + d.line()
                + ": spec.service: service \"" + apex + "\" already has TrafficSplit \""
                + other.name() + "\"" + (fromConf ? " from mesh.conf" : " (applied")
                + (fromConf ? "; apply yours under that name to override it"
                    : "); apply yours under that name or delete it first"));
          }
        }
      }
    }

    private Behavior<Command> onDelete(Delete d) {
      StoredResource have = live(d.kind(), d.name());
      if (have != null) {
        long at = Math.max(System.currentTimeMillis(), have.atMillis() + 1);
        write(List.of(new StoredResource(d.kind(), d.name(), true, at, "")),
            () -> d.replyTo().tell(Reply.ok(d.name())));
      } else if (inConf(d.kind(), d.name())) {
        d.replyTo().tell(Reply.fail(new ResourceException(Status.Code.FAILED_PRECONDITION,
            d.kind().kindName() + " \"" + d.name() + "\" comes from mesh.conf ("
                + base.source() + "); edit mesh.conf to remove it")));
      } else {
        d.replyTo().tell(Reply.fail(new ResourceException(Status.Code.NOT_FOUND,
            d.kind().kindName() + " \"" + d.name() + "\" not found")));
      }
      return Behaviors.same();
    }

    private Behavior<Command> onList(ListResources l) {
      Map<String, Listed> out = new TreeMap<>();
      Map<String, ResourceDocument> confDocs = confDocuments();
      for (String name : confNames(l.kind())) {
        ResourceDocument doc = confDocs.get(name);
        out.put(name, new Listed(l.kind(), name, base.namespace(), false,
            doc == null ? 0 : modified(doc.file()), doc == null ? "" : doc.yaml()));
      }
      for (StoredResource r : entries.values()) {
        if (r.kind() == l.kind() && !r.deleted()) {
          out.put(r.name(), new Listed(r.kind(), r.name(), base.namespace(), true, r.atMillis(),
              r.yaml()));
        }
      }
      List<Listed> result = new ArrayList<>();
      out.values().stream()
          .filter(x -> l.name().isEmpty() || x.name().equals(l.name()))
          .forEach(result::add);
      if (!l.name().isEmpty() && result.isEmpty()) {
        l.replyTo().tell(Reply.fail(new ResourceException(Status.Code.NOT_FOUND,
            l.kind().kindName() + " \"" + l.name() + "\" not found")));
      } else {
        l.replyTo().tell(Reply.ok(result));
      }
      return Behaviors.same();
    }

    private void write(List<StoredResource> writes, Runnable reply) {
      if (writes.isEmpty()) {
        reply.run();
        return;
      }
      // In force here at once (the replicator reports changes only every so often), and on disk
      // before the answer. Timing out on a majority still leaves the write here; gossip spreads it.
      Map<String, String> encoded = new HashMap<>();
      writes.forEach(r -> {
        entries.put(r.key(), r);
        encoded.put(r.key(), r.encode());
      });
      persist(encoded);
      publish();
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(KEY, LWWMap.create(),
              new Replicator.WriteMajority(writeTimeout), replyTo, map -> putAll(map, writes)),
          rsp -> new Written(reply));
    }

    private StoredResource live(Kind kind, String name) {
      StoredResource r = entries.get(StoredResource.key(kind, name));
      return r == null || r.deleted() ? null : r;
    }

    private List<String> confNames(Kind kind) {
      return kind == Kind.SERVICE_PROFILE
          ? base.profiles().stream().map(ServiceProfile::name).toList()
          : base.splits().stream().map(TrafficSplit::name).toList();
    }

    private boolean inConf(Kind kind, String name) {
      return confNames(kind).contains(name);
    }

    /** mesh.conf's resource documents, for their text and age; none when it cannot be read. */
    private Map<String, ResourceDocument> confDocuments() {
      Map<String, ResourceDocument> out = new HashMap<>();
      if (base.source() != null) {
        try {
          MeshConfigLoader.resourceDocuments(base.source()).forEach(d -> out.put(d.name(), d));
        } catch (RuntimeException e) {
          ctx.getLog().warn("cannot re-read the resources of {}: {}", base.source(),
              e.getMessage());
        }
      }
      return out;
    }

    private static long modified(Path file) {
      try {
        return Files.getLastModifiedTime(file).toMillis();
      } catch (IOException e) {
        return 0;
      }
    }

    /** mesh.conf's profiles and splits with the applied ones over them, by kind and name. */
    private MeshConfig effectiveMesh() {
      Map<String, ServiceProfile> profiles = new LinkedHashMap<>();
      base.profiles().forEach(p -> profiles.put(p.name(), p));
      Map<String, TrafficSplit> splits = new LinkedHashMap<>();
      base.splits().forEach(s -> splits.put(s.name(), s));
      for (StoredResource r : entries.values()) {
        if (r.deleted()) {
          continue;
        }
        Optional<ResourceDocument> doc = parsed.computeIfAbsent(r.encode(), k -> parse(r));
        doc.ifPresent(d -> {
          if (d.profile() != null) {
            profiles.remove(d.name());
            profiles.put(d.name(), d.profile());
          } else {
            // One split per apex: the applied one replaces any other for its service.
            splits.values().removeIf(s -> s.service().equals(d.split().service()));
            splits.put(d.name(), d.split());
          }
        });
      }
      return new MeshConfig(base.namespace(), base.services(), base.workloads(),
          List.copyOf(profiles.values()), List.copyOf(splits.values()), base.source());
    }

    private Optional<ResourceDocument> parse(StoredResource r) {
      try {
        return MeshConfigLoader.parseResources(r.yaml(), Path.of(r.key() + ".yaml"), base)
            .stream().findFirst();
      } catch (MeshConfigException e) {
        // mesh.conf changed under it (a service it names is gone): left out until it fits again.
        ctx.getLog().warn("applied {} \"{}\" left out of the mesh: {}", r.kind().kindName(),
            r.name(), e.getMessage());
        return Optional.empty();
      }
    }

    private void publish() {
      MeshConfig next = effectiveMesh();
      if (!next.equals(effective)) {
        effective = next;
        holder.tell(new MeshHolder.ApplyMesh(next));
      }
    }

    private List<StoredResource> load() {
      List<StoredResource> out = new ArrayList<>();
      if (dir == null || !Files.isDirectory(dir)) {
        return out;
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".yaml")).toList()) {
          String text = Files.readString(f, StandardCharsets.UTF_8);
          Optional<StoredResource> r = StoredResource.decode(text);
          if (r.isEmpty()) {
            ctx.getLog().warn("{}: not a stored resource (no trellis header); ignored", f);
            continue;
          }
          persisted.put(r.get().key(), text);
          out.add(r.get());
        }
      } catch (IOException e) {
        ctx.getLog().error("cannot read applied resources from {}: {}", dir, e.getMessage());
      }
      ctx.getLog().info("{} applied resources loaded from {}", out.size(), dir);
      return out;
    }

    /** Writes every entry that differs from this node's file of it. */
    private void persist(Map<String, String> all) {
      if (dir == null) {
        return;
      }
      all.forEach((key, text) -> {
        if (text.equals(persisted.get(key))) {
          return;
        }
        try {
          Files.createDirectories(dir);
          Path target = dir.resolve(key + ".yaml");
          Path tmp = Files.createTempFile(dir, "." + key, ".tmp");
          Files.writeString(tmp, text, StandardCharsets.UTF_8);
          try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
          }
          persisted.put(key, text);
        } catch (IOException e) {
          ctx.getLog().error("cannot store applied resource {} in {}: {}", key, dir,
              e.getMessage());
        }
      });
    }
  }
}
