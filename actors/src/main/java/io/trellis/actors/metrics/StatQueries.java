package io.trellis.actors.metrics;

import io.trellis.api.metrics.Edge;
import io.trellis.api.metrics.EdgesRequest;
import io.trellis.api.metrics.EdgesResponse;
import io.trellis.api.metrics.Resource;
import io.trellis.api.metrics.RouteRow;
import io.trellis.api.metrics.RoutesRequest;
import io.trellis.api.metrics.RoutesResponse;
import io.trellis.api.metrics.StatRequest;
import io.trellis.api.metrics.StatResponse;
import io.trellis.api.metrics.StatRow;
import io.trellis.api.metrics.Stats;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceRef;
import io.trellis.config.TrafficSplit;
import io.trellis.config.WorkloadConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * {@code stat}, {@code edges} and {@code routes} as Linkerd computes them, over any {@link
 * MetricsSource}. Which series answer which question:
 *
 * <ul>
 *   <li>stat deploy: the deployments' inbound series, by {@code deployment}; {@code --to
 *       deploy/Y|svc/Y}: their outbound series to Y; {@code --from deploy/X}: X's outbound series,
 *       by {@code dst_deployment};
 *   <li>stat svc: the callers' outbound series, by {@code dst_service} ({@code --from deploy/X}:
 *       X's only); stat au: inbound series by {@code authority}; stat ts: outbound series of each
 *       split's backends, by {@code dst_service};
 *   <li>edges: outbound {@code response_total} by deployment and dst_deployment;
 *   <li>routes: {@code route_response_total} by {@code rt_route} (svc/X: X's servers' inbound
 *       series; deploy/X --to svc/Y: X's outbound series to Y, with {@code route_actual_*}).
 * </ul>
 */
public final class StatQueries {
  public static final String DEFAULT_ROUTE = "[DEFAULT]";
  private static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

  private final MetricsSource source;
  private final Supplier<MeshConfig> mesh;
  private final Duration maxWindow;

  public StatQueries(MetricsSource source, Supplier<MeshConfig> mesh, Duration maxWindow) {
    this.source = source;
    this.mesh = mesh;
    this.maxWindow = maxWindow;
  }

  /** A request the API cannot answer as asked; the message names the field. */
  public static final class BadRequest extends RuntimeException {
    public BadRequest(String message) {
      super(message);
    }
  }

  public CompletionStage<StatResponse> stat(StatRequest r) {
    MeshConfig m = mesh.get();
    String ns = namespace(r.getNamespace(), m);
    Duration window = window(r.getWindow());
    String type = type(r.getResource().getType());
    String name = r.getResource().getName();
    Resource from = r.hasFrom() ? r.getFrom() : null;
    Resource to = r.hasTo() ? r.getTo() : null;
    if (from != null) {
      require(type(from.getType()).equals("deploy"), "--from: only deploy/NAME is supported");
    }
    if (to != null) {
      String t = type(to.getType());
      require(t.equals("deploy") || t.equals("svc"), "--to: only deploy/NAME or svc/NAME");
    }
    switch (type) {
      case "deploy": {
        Selector s;
        String key;
        if (from != null) {
          require(to == null, "--from and --to together are not supported");
          s = Selector.of("response_total").with("direction", "outbound")
              .with("namespace", ns).with("deployment", from.getName())
              .with("dst_deployment", name);
          key = "dst_deployment";
        } else if (to != null) {
          s = Selector.of("response_total").with("direction", "outbound").with("namespace", ns)
              .with("deployment", name)
              .with(type(to.getType()).equals("svc") ? "dst_service" : "dst_deployment",
                  to.getName());
          key = "deployment";
        } else {
          s = Selector.of("response_total").with("direction", "inbound").with("namespace", ns)
              .with("deployment", name);
          key = "deployment";
        }
        Set<String> names = new TreeSet<>();
        if (from == null) {
          m.workloads().values().stream().map(WorkloadConfig::name)
              .filter(n -> name.isEmpty() || n.equals(name)).forEach(names::add);
        }
        boolean tcp = from == null && to == null;
        CompletionStage<Map<String, Double>> conns = tcp
            ? source.sum(Selector.of("tcp_open_connections").with("direction", "inbound")
                .with("namespace", ns).with("deployment", name), List.of("deployment"))
                .thenApply(l -> byKey(l, "deployment"))
            : CompletableFuture.completedFuture(Map.of());
        CompletionStage<Map<String, Integer>> up = source.proxiesUp(ns);
        return stats(s, key, window).thenCombine(conns, (stats, c) -> {
          StatResponse.Builder out = StatResponse.newBuilder().setSource(source.describe());
          names.addAll(stats.keySet());
          for (String n : names) {
            StatRow.Builder row = StatRow.newBuilder().setName(n).setNamespace(ns)
                .setStats(stats.getOrDefault(n, Stats.getDefaultInstance()))
                .setPods(m.workloads().containsKey(n) ? 1 : 0);
            if (c.containsKey(n)) {
              row.setHasTcp(true).setTcpConnections(Math.round(c.get(n)));
            }
            out.addRows(row);
          }
          return out;
        }).thenCombine(up, (out, u) -> {
          for (StatRow.Builder row : out.getRowsBuilderList()) {
            row.setMeshed(Math.min(row.getPods(), u.getOrDefault(row.getName(), 0)));
          }
          return out.build();
        });
      }
      case "svc": {
        require(to == null, "--to is not supported with svc (use --from deploy/NAME)");
        Selector s = Selector.of("response_total").with("direction", "outbound")
            .with("dst_namespace", ns).with("dst_service", name)
            .with("deployment", from == null ? null : from.getName());
        Set<String> names = new TreeSet<>();
        m.services().keySet().stream().filter(n -> name.isEmpty() || n.equals(name))
            .forEach(names::add);
        return stats(s, "dst_service", window).thenApply(stats -> {
          names.addAll(stats.keySet());
          StatResponse.Builder out = StatResponse.newBuilder().setSource(source.describe());
          names.forEach(n -> out.addRows(StatRow.newBuilder().setName(n).setNamespace(ns)
              .setStats(stats.getOrDefault(n, Stats.getDefaultInstance()))));
          return out.build();
        });
      }
      case "au": {
        require(from == null && to == null,
            "--from/--to are not supported with authorities (inbound series name no client)");
        Selector s = Selector.of("response_total").with("direction", "inbound")
            .with("namespace", ns).with("authority", name);
        return stats(s, "authority", window).thenApply(stats -> {
          StatResponse.Builder out = StatResponse.newBuilder().setSource(source.describe());
          new TreeMap<>(stats).forEach((n, st) ->
              out.addRows(StatRow.newBuilder().setName(n).setNamespace(ns).setStats(st)));
          return out.build();
        });
      }
      case "ts": {
        require(from == null && to == null, "--from/--to are not supported with ts");
        Selector s = Selector.of("response_total").with("direction", "outbound")
            .with("dst_namespace", ns);
        List<TrafficSplit> splits = m.splits().stream()
            .filter(t -> name.isEmpty() || t.name().equals(name)).toList();
        return stats(s, "dst_service", window).thenApply(stats -> {
          StatResponse.Builder out = StatResponse.newBuilder().setSource(source.describe());
          for (TrafficSplit t : splits) {
            for (TrafficSplit.Backend b : t.backends()) {
              out.addRows(StatRow.newBuilder().setName(t.name()).setNamespace(t.namespace())
                  .setApex(t.service()).setLeaf(b.service()).setWeight(weight(b.weightMilli()))
                  .setStats(stats.getOrDefault(b.service(), Stats.getDefaultInstance())));
            }
          }
          return out.build();
        });
      }
      default:
        throw new BadRequest("unknown resource type '" + r.getResource().getType()
            + "': use deploy, svc, au or ts");
    }
  }

  public CompletionStage<EdgesResponse> edges(EdgesRequest r) {
    MeshConfig m = mesh.get();
    String ns = namespace(r.getNamespace(), m);
    require(r.getResourceType().isEmpty() || type(r.getResourceType()).equals("deploy"),
        "edges: only deploy is supported");
    Selector s = Selector.of("response_total").with("direction", "outbound").with("namespace", ns);
    List<String> by = List.of("deployment", "namespace", "dst_deployment", "dst_namespace", "tls",
        "server_id");
    // The client identities each destination's proxy verified (inbound, over mTLS).
    Selector in = Selector.of("response_total").with("direction", "inbound").with("tls", "true");
    Duration window = window(r.getWindow());
    return source.sumRate(s, by, window).thenCombine(
        source.sumRate(in, List.of("deployment", "namespace", "client_id"), window),
        (samples, inbound) -> {
      Map<List<String>, Edge.Builder> edges = new TreeMap<>(StatQueries::compareLists);
      for (MetricsSource.Sample x : samples) {
        if (x.label("dst_deployment").isEmpty() || !(x.value() > 0)) {
          continue;
        }
        List<String> k = List.of(x.label("deployment"), x.label("dst_deployment"),
            x.label("namespace"), x.label("dst_namespace"));
        Edge.Builder e = edges.computeIfAbsent(k, kk -> Edge.newBuilder().setSrc(kk.get(0))
            .setDst(kk.get(1)).setSrcNamespace(kk.get(2)).setDstNamespace(kk.get(3))
            .setSecured(true));
        // Secured only if every request of the edge was.
        if (!"true".equals(x.label("tls"))) {
          e.setSecured(false);
        } else if (!x.label("server_id").isEmpty()) {
          e.setServerId(x.label("server_id"));
        }
      }
      EdgesResponse.Builder out = EdgesResponse.newBuilder().setSource(source.describe());
      edges.values().forEach(e -> {
        if (!e.getSecured()) {
          e.clearServerId();
        } else {
          WorkloadConfig src = m.workloads().get(e.getSrc());
          if (src != null && src.serviceAccount() != null) {
            String account = src.serviceAccount() + "." + e.getSrcNamespace() + ".serviceaccount";
            // The identity the destination's proxy verified for a client of the source's
            // service account; the account alone when the destination's series are not in yet.
            e.setClientId(inbound.stream()
                .filter(x -> x.value() > 0 && x.label("deployment").equals(e.getDst())
                    && x.label("namespace").equals(e.getDstNamespace())
                    && x.label("client_id").startsWith(account + "."))
                .map(x -> x.label("client_id"))
                .findFirst()
                .orElse(account));
          }
        }
        out.addEdges(e);
      });
      return out.build();
    });
  }

  public CompletionStage<RoutesResponse> routes(RoutesRequest r) {
    MeshConfig m = mesh.get();
    String ns = namespace(r.getNamespace(), m);
    Duration window = window(r.getWindow());
    String type = type(r.getResource().getType());
    String name = r.getResource().getName();
    require(!name.isEmpty(), "routes needs a resource: svc/NAME or deploy/NAME");
    Selector s;
    boolean withActual = false;
    if (r.hasTo()) {
      require(type.equals("deploy") && type(r.getTo().getType()).equals("svc"),
          "--to: routes of deploy/NAME --to svc/NAME");
      s = Selector.of("route_response_total").with("direction", "outbound")
          .with("deployment", name).with("dst", authority(m, r.getTo().getName()));
      withActual = true;
    } else if (type.equals("svc")) {
      s = Selector.of("route_response_total").with("direction", "inbound")
          .with("dst", authority(m, name));
    } else if (type.equals("deploy")) {
      require(m.workloads().containsKey(name), "no workload '" + name + "' in the mesh");
      s = Selector.of("route_response_total").with("direction", "inbound")
          .with("deployment", name);
    } else {
      throw new BadRequest("routes: use svc/NAME or deploy/NAME, not " + type);
    }
    List<String> by = List.of("rt_route", "dst");
    Selector effective = s;
    CompletionStage<Map<List<String>, Stats>> actual = withActual
        ? statsBy(s.on("route_actual_response_total"), null, by, window)
        : CompletableFuture.completedFuture(Map.of());
    return statsBy(effective, "route_response_latency_ms", by, window)
        .thenCombine(actual, (eff, act) -> {
          Set<List<String>> keys = new java.util.TreeSet<>(StatQueries::compareLists);
          keys.addAll(eff.keySet());
          keys.addAll(act.keySet());
          RoutesResponse.Builder out = RoutesResponse.newBuilder().setSource(source.describe());
          RouteRow.Builder fallback = null;
          for (List<String> k : keys) {
            String route = k.get(0).isEmpty() || k.get(0).equals(DEFAULT_ROUTE)
                ? DEFAULT_ROUTE : k.get(0);
            RouteRow.Builder row = RouteRow.newBuilder().setRoute(route).setService(service(k.get(1)))
                .setStats(eff.getOrDefault(k, Stats.getDefaultInstance()))
                .setActual(act.getOrDefault(k, Stats.getDefaultInstance()));
            if (route.equals(DEFAULT_ROUTE)) {
              fallback = row;
            } else {
              out.addRows(row);
            }
          }
          // Linkerd lists [DEFAULT] last, even with no traffic.
          out.addRows(fallback != null ? fallback : RouteRow.newBuilder().setRoute(DEFAULT_ROUTE)
              .setService(r.hasTo() ? r.getTo().getName() : name)
              .setStats(Stats.getDefaultInstance()).setActual(Stats.getDefaultInstance()));
          return out.build();
        });
  }

  /** Success rate, rps and latency percentiles per value of {@code key}. */
  private CompletionStage<Map<String, Stats>> stats(Selector s, String key, Duration window) {
    return statsBy(s, "response_latency_ms", List.of(key), window).thenApply(m -> {
      Map<String, Stats> out = new HashMap<>();
      m.forEach((k, v) -> {
        if (!k.get(0).isEmpty()) {
          out.put(k.get(0), v);
        }
      });
      return out;
    });
  }

  /**
   * {@code sum(rate(S)) by (by.., classification)} and, when {@code latency} names a histogram,
   * its p50, p95 and p99 by the same labels.
   */
  private CompletionStage<Map<List<String>, Stats>> statsBy(
      Selector s, String latency, List<String> by, Duration window) {
    List<String> byClass = new ArrayList<>(by);
    byClass.add("classification");
    CompletionStage<List<MetricsSource.Sample>> rates = source.sumRate(s, byClass, window);
    CompletableFuture<List<MetricsSource.Sample>> none = CompletableFuture.completedFuture(List.of());
    Selector h = latency == null ? null : s.on(latency).without("classification");
    CompletionStage<List<MetricsSource.Sample>> p50 =
        h == null ? none : source.quantile(0.5, h, by, window);
    CompletionStage<List<MetricsSource.Sample>> p95 =
        h == null ? none : source.quantile(0.95, h, by, window);
    CompletionStage<List<MetricsSource.Sample>> p99 =
        h == null ? none : source.quantile(0.99, h, by, window);
    return rates.thenCompose(rs -> p50.thenCompose(a -> p95.thenCompose(b -> p99.thenApply(c -> {
      Map<List<String>, double[]> totals = new HashMap<>(); // {success, all}
      for (MetricsSource.Sample x : rs) {
        List<String> k = by.stream().map(x::label).toList();
        double[] t = totals.computeIfAbsent(k, kk -> new double[2]);
        if (!"failure".equals(x.label("classification"))) {
          t[0] += x.value();
        }
        t[1] += x.value();
      }
      Map<List<String>, Stats> out = new HashMap<>();
      totals.forEach((k, t) -> {
        Stats.Builder st = Stats.newBuilder();
        if (t[1] > 0) {
          st.setHasTraffic(true).setRps(t[1]).setSuccessRate(t[0] / t[1])
              .setLatencyP50Ms(value(a, by, k)).setLatencyP95Ms(value(b, by, k))
              .setLatencyP99Ms(value(c, by, k));
        }
        out.put(k, st.build());
      });
      return out;
    }))));
  }

  private static double value(List<MetricsSource.Sample> samples, List<String> by, List<String> k) {
    for (MetricsSource.Sample x : samples) {
      if (by.stream().map(x::label).toList().equals(k)) {
        return Double.isNaN(x.value()) ? 0 : x.value();
      }
    }
    return 0;
  }

  private static Map<String, Double> byKey(List<MetricsSource.Sample> samples, String key) {
    Map<String, Double> out = new HashMap<>();
    samples.forEach(x -> out.merge(x.label(key), x.value(), Double::sum));
    return out;
  }

  private String namespace(String asked, MeshConfig m) {
    return asked == null || asked.isEmpty() ? m.namespace() : asked;
  }

  private Duration window(String text) {
    if (text == null || text.isEmpty()) {
      return DEFAULT_WINDOW;
    }
    Duration d;
    try {
      long n = Long.parseLong(text.substring(0, text.length() - 1));
      d = switch (text.charAt(text.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new NumberFormatException();
      };
    } catch (RuntimeException e) {
      throw new BadRequest("-t " + text + ": not a window such as 30s, 1m or 10m");
    }
    if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(maxWindow) > 0) {
      throw new BadRequest("-t " + text + ": must be between 1s and " + PromQl.duration(maxWindow));
    }
    return d;
  }

  /** deploy, svc, au, ts, with Linkerd's aliases. */
  static String type(String t) {
    return switch (t == null ? "" : t.toLowerCase(java.util.Locale.ROOT)) {
      case "deploy", "deployment", "deployments", "deploys" -> "deploy";
      case "svc", "service", "services" -> "svc";
      case "au", "authority", "authorities" -> "au";
      case "ts", "trafficsplit", "trafficsplits" -> "ts";
      default -> t;
    };
  }

  private static String authority(MeshConfig m, String service) {
    ServiceConfig s = m.services().get(service);
    if (s == null) {
      throw new BadRequest("no service '" + service + "' in the mesh");
    }
    return new ServiceRef(m.namespace(), s.name(), s.port()).authority();
  }

  /** web-svc.demo.svc.cluster.local:80 reads as web-svc. */
  private static String service(String dst) {
    int dot = dst.indexOf('.');
    return dot > 0 ? dst.substring(0, dot) : dst;
  }

  private static String weight(long milli) {
    return milli % 1000 == 0 ? Long.toString(milli / 1000) : milli + "m";
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new BadRequest(message);
    }
  }

  private static int compareLists(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
