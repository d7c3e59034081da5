package io.trellis.demo;

import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.ServiceConfig;
import io.trellis.config.WorkloadConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All four demo apps in one JVM, each on its own workload address from the demo's mesh.conf and
 * with its own actor system, as if each ran in its own pod.
 *
 * <p>Why one JVM and not four: the demo must be up within 60 s on a two-core machine that also
 * starts four proxy JVMs. Every JVM costs a second or more of CPU to load and JIT-compile
 * pekko-http and gRPC, and 100 MB or so of memory; the apps need none of a process's isolation
 * to show what the mesh does, because everything the mesh sees (addresses, ports, each app's
 * calls going through its own sidecar) is per workload. Each app still has a main of its own
 * for anyone who wants separate processes. The proxies, which are what the demo is about, are
 * always separate {@code trellis proxy} processes.
 */
public final class DemoApps implements AutoCloseable {
  public static final String WEB = "web";
  public static final String EMOJI = "emoji";
  public static final String VOTING = "voting";
  public static final String VOTE_BOT = "vote-bot";
  /** The workloads mesh.conf must define, in start order (servers before their callers). */
  public static final List<String> WORKLOADS = List.of(EMOJI, VOTING, WEB, VOTE_BOT);

  private static final Logger log = LoggerFactory.getLogger(DemoApps.class);

  private final List<ActorSystem<Void>> systems = new ArrayList<>();
  private final List<AppServer> servers = new ArrayList<>();
  private VoteBot bot;

  private DemoApps() {}

  /**
   * Starts emoji, voting, web and vote-bot where {@code mesh} puts them. web and vote-bot call
   * through their own outbound proxies, naming services by the authorities mesh.conf gives them.
   *
   * @param rate vote-bot's calls per second
   */
  public static DemoApps start(MeshConfig mesh, double rate) {
    for (String w : WORKLOADS) {
      if (!mesh.workloads().containsKey(w)) {
        throw new IllegalArgumentException(
            mesh.source() + ": the demo needs a workload '" + w + "' (it has " + mesh.workloads().keySet() + ")");
      }
    }
    DemoApps apps = new DemoApps();
    try {
      WorkloadConfig emoji = mesh.workloads().get(EMOJI);
      apps.servers.add(EmojiApp.start(apps.system(EMOJI), emoji.address(), emoji.appPort()));

      WorkloadConfig voting = mesh.workloads().get(VOTING);
      apps.servers.add(VotingApp.start(apps.system(VOTING), voting.address(), voting.appPort()));

      WorkloadConfig web = mesh.workloads().get(WEB);
      ActorSystem<Void> webSystem = apps.system(WEB);
      HostPort webOut = web.proxy().outbound();
      WebApp webApp =
          WebApp.throughSidecar(
              webSystem,
              webOut.host(),
              webOut.port(),
              authorityOf(mesh, EMOJI),
              authorityOf(mesh, VOTING));
      apps.servers.add(webApp.start(webSystem, web.address(), web.appPort()));

      WorkloadConfig botWorkload = mesh.workloads().get(VOTE_BOT);
      ActorSystem<Void> botSystem = apps.system(VOTE_BOT);
      HostPort botOut = botWorkload.proxy().outbound();
      apps.bot = new VoteBot(botSystem, botOut.host(), botOut.port(), authorityOf(mesh, WEB), rate);
      apps.servers.add(apps.bot.serveStatus(botWorkload.address(), botWorkload.appPort()));
      apps.bot.start();
    } catch (RuntimeException e) {
      apps.close();
      throw e;
    }
    return apps;
  }

  /** The authority a client names a workload's (first) service by: {@code emoji-svc:8080}. */
  static String authorityOf(MeshConfig mesh, String workload) {
    WorkloadConfig w = mesh.workloads().get(workload);
    if (w.serves().isEmpty()) {
      throw new IllegalArgumentException(
          mesh.source() + ": workload '" + workload + "' must serve a service for the demo");
    }
    ServiceConfig s = mesh.services().get(w.serves().get(0));
    return s.name() + ":" + s.port();
  }

  public VoteBot bot() {
    return bot;
  }

  private ActorSystem<Void> system(String app) {
    ActorSystem<Void> s = AppServer.newSystem(app);
    systems.add(s);
    return s;
  }

  /** Stops the bot's calls, then the listeners (callers first), then the actor systems. */
  @Override
  public void close() {
    if (bot != null) {
      bot.stop().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
    for (int i = servers.size() - 1; i >= 0; i--) {
      servers.get(i).stop(Duration.ofSeconds(2)).toCompletableFuture().exceptionally(t -> null).join();
    }
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<Void> s : systems) {
      s.getWhenTerminated().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
  }

  /**
   * {@code DemoApps --config demo/mesh.conf [--rate 3] [--parent-pid N]}: the four apps. With
   * a parent pid the apps exit when that process does, so a {@code trellis demo} killed hard
   * does not leave them holding the demo's addresses.
   */
  public static void main(String[] args) {
    Args a = Args.parse(args);
    MeshConfig mesh = MeshConfigLoader.load(Path.of(a.require("config")));
    DemoApps apps = start(mesh, a.getDouble("rate", 3));
    Runtime.getRuntime().addShutdownHook(new Thread(apps::close, "demo-apps-stop"));
    String parent = a.get("parent-pid", null);
    if (parent != null) {
      ProcessHandle.of(Long.parseLong(parent))
          .ifPresentOrElse(
              p -> p.onExit().thenRun(() -> {
                log.info("parent {} is gone; stopping", parent);
                System.exit(0);
              }),
              () -> System.exit(0));
    }
    log.info("demo apps ready: {}", WORKLOADS);
    // Block until a shutdown hook stops the systems.
    for (ActorSystem<Void> s : apps.systems) {
      s.getWhenTerminated().toCompletableFuture().join();
    }
  }
}
