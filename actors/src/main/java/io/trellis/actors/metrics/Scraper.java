package io.trellis.actors.metrics;

import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Owns the rolling windows: every scrape interval it fetches each workload proxy's admin
 * /metrics (the addresses come from the mesh), keeps the series {@code stat}, {@code edges} and
 * {@code routes} read for the retention period, and publishes an immutable {@link
 * RollingWindows.Snapshot} that queries read without asking the actor. A proxy that does not
 * answer within the timeout is marked unreachable (its MESHED count drops), never fatal; at most
 * one scrape per proxy is in flight.
 */
public final class Scraper {
  /** The metric families kept; everything else a proxy exports is dropped at parse time. */
  static final Set<String> KEPT = Set.of(
      "request_total",
      "response_total",
      "response_latency_ms_bucket",
      "route_response_total",
      "route_response_latency_ms_bucket",
      "route_actual_response_total",
      "tcp_open_connections");

  public interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record Scraped(String workload, long atMillis, Map<RollingWindows.Series, Double> values)
      implements Command {}

  private record Failed(String workload, String error) implements Command {}

  private Scraper() {}

  public static Behavior<Command> create(
      Supplier<MeshConfig> mesh,
      MetricsSettings settings,
      AtomicReference<RollingWindows.Snapshot> published) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.scrapeInterval());
      HttpClient http = HttpClient.newBuilder().connectTimeout(settings.scrapeTimeout()).build();
      return new State(ctx, mesh, settings, published, http).behavior();
    }));
  }

  private static final class State {
    private final ActorContext<Command> ctx;
    private final Supplier<MeshConfig> mesh;
    private final MetricsSettings settings;
    private final AtomicReference<RollingWindows.Snapshot> published;
    private final HttpClient http;
    private final Map<String, ArrayDeque<RollingWindows.Scrape>> scrapes = new HashMap<>();
    private final Map<String, String> errors = new HashMap<>();
    private final Set<String> inFlight = new HashSet<>();

    State(ActorContext<Command> ctx, Supplier<MeshConfig> mesh, MetricsSettings settings,
        AtomicReference<RollingWindows.Snapshot> published, HttpClient http) {
      this.ctx = ctx;
      this.mesh = mesh;
      this.settings = settings;
      this.published = published;
      this.http = http;
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, this::onTick)
          .onMessage(Scraped.class, this::onScraped)
          .onMessage(Failed.class, this::onFailed)
          .build();
    }

    private Behavior<Command> onTick() {
      MeshConfig m = mesh.get();
      // Workloads gone from the mesh are forgotten.
      if (scrapes.keySet().retainAll(m.workloads().keySet())
          | errors.keySet().retainAll(m.workloads().keySet())) {
        publish();
      }
      for (WorkloadConfig w : m.workloads().values()) {
        if (inFlight.add(w.name())) {
          scrape(w);
        }
      }
      return Behaviors.same();
    }

    private void scrape(WorkloadConfig w) {
      var admin = w.proxy().admin();
      URI uri = URI.create("http://" + admin + "/metrics");
      HttpRequest request =
          HttpRequest.newBuilder(uri).timeout(settings.scrapeTimeout()).GET().build();
      int max = settings.maxSeriesPerProxy();
      ctx.pipeToSelf(
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .thenApply(r -> {
                if (r.statusCode() != 200) {
                  throw new IllegalStateException(uri + " answered " + r.statusCode());
                }
                return keep(r.body(), max);
              }),
          (values, failure) -> failure == null
              ? new Scraped(w.name(), System.currentTimeMillis(), values)
              : new Failed(w.name(), uri + ": " + rootMessage(failure)));
    }

    private Behavior<Command> onScraped(Scraped s) {
      inFlight.remove(s.workload());
      if (!mesh.get().workloads().containsKey(s.workload())) {
        return Behaviors.same();
      }
      ArrayDeque<RollingWindows.Scrape> q =
          scrapes.computeIfAbsent(s.workload(), k -> new ArrayDeque<>());
      q.addLast(new RollingWindows.Scrape(s.atMillis(), s.values()));
      while (q.size() > settings.scrapesKept()) {
        q.removeFirst();
      }
      if (errors.remove(s.workload()) != null) {
        ctx.getLog().info("proxy of {} reachable again", s.workload());
      }
      publish();
      return Behaviors.same();
    }

    private Behavior<Command> onFailed(Failed f) {
      inFlight.remove(f.workload());
      if (!mesh.get().workloads().containsKey(f.workload())) {
        return Behaviors.same();
      }
      if (errors.put(f.workload(), f.error()) == null) {
        ctx.getLog().warn("proxy of {} unreachable: {}", f.workload(), f.error());
      }
      publish();
      return Behaviors.same();
    }

    private void publish() {
      String ns = mesh.get().namespace();
      Map<String, RollingWindows.Target> targets = new HashMap<>();
      Set<String> names = new HashSet<>(scrapes.keySet());
      names.addAll(errors.keySet());
      for (String name : names) {
        ArrayDeque<RollingWindows.Scrape> q = scrapes.get(name);
        targets.put(name, new RollingWindows.Target(
            name, ns, q == null ? java.util.List.of() : java.util.List.copyOf(q), errors.get(name)));
      }
      published.set(new RollingWindows.Snapshot(targets));
    }
  }

  /** The kept series of one scrape, at most {@code max} of them. */
  static Map<RollingWindows.Series, Double> keep(String text, int max) {
    Map<RollingWindows.Series, Double> out = new HashMap<>();
    for (PrometheusText.Sample s : PrometheusText.parse(text).samples()) {
      if (KEPT.contains(s.name()) && out.size() < max) {
        out.put(new RollingWindows.Series(s.name(), Map.copyOf(s.labels())), s.value());
      }
    }
    return Map.copyOf(out);
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}
