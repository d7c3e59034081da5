package io.trellis.discovery.destination;

import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.HttpStatusRange;
import io.trellis.api.destination.ProtocolHint;
import io.trellis.api.destination.Service;
import io.trellis.api.destination.ServiceList;
import io.trellis.api.destination.TcpAddress;
import io.trellis.api.destination.WeightedAddr;
import io.trellis.api.destination.WeightedDst;
import io.trellis.config.Endpoint;
import io.trellis.config.FailureAccrual;
import io.trellis.config.Fault;
import io.trellis.config.HeaderRoute;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.OpaquePorts;
import io.trellis.config.RequestMatch;
import io.trellis.config.ResponseMatch;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import io.trellis.config.TrafficSplit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The mesh model ({@code io.trellis.config}) to and from the destination API's messages. Both
 * directions live here so that a round trip is tested in one place: what the control plane
 * derives from mesh.conf is what the proxy rebuilds.
 */
public final class MeshProtos {
  /** Every endpoint of a mesh.conf service weighs the same; Linkerd's default weight. */
  public static final int DEFAULT_WEIGHT = 10_000;

  private static final String CLUSTER_SUFFIX = ".svc.cluster.local";

  private MeshProtos() {}

  /** How identity names are spelled: {@code <sa>.<ns>.serviceaccount.identity.<cns>.<td>}. */
  public record IdentityDomain(String controlNamespace, String trustDomain) {
    public String identityOf(String serviceAccount, String namespace) {
      return serviceAccount + "." + namespace + ".serviceaccount.identity." + controlNamespace
          + "." + trustDomain;
    }
  }

  // ---- mesh -> protos (control plane) ----

  public static ServiceList serviceList(MeshConfig mesh) {
    ServiceList.Builder out = ServiceList.newBuilder().setNamespace(mesh.namespace());
    mesh.services().values().stream()
        .sorted(Comparator.comparing(ServiceConfig::name))
        .forEach(s -> out.addServices(
            Service.newBuilder().setName(s.name()).setPort(s.port()).build()));
    return out.build();
  }

  /** The endpoint set of {@code service}; {@code exists = false} when the mesh has no such. */
  public static EndpointSet endpointSet(MeshConfig mesh, String service, IdentityDomain identity) {
    EndpointSet.Builder out = EndpointSet.newBuilder().setService(service);
    if (!mesh.services().containsKey(service)) {
      return out.setExists(false).build();
    }
    out.setExists(true);
    for (Endpoint e : mesh.endpointsOf(service)) {
      WeightedAddr.Builder addr = WeightedAddr.newBuilder()
          .setAddr(TcpAddress.newBuilder()
              .setHost(e.address().host()).setPort(e.address().port()).build())
          .setWeight(DEFAULT_WEIGHT);
      if (e.meshed()) {
        addr.setWorkload(e.workload())
            .setIdentity(identity.identityOf(e.serviceAccount(), mesh.namespace()))
            .setProtocolHint(ProtocolHint.PROTOCOL_HINT_H2)
            .putLabels("deployment", e.workload())
            .putLabels("namespace", mesh.namespace())
            .putLabels("service", service)
            .putLabels("serviceaccount", e.serviceAccount());
      }
      out.addEndpoints(addr.build());
    }
    return out.build();
  }

  /** The profile and split of {@code service}, empty defaults when it has none. */
  public static DestinationProfile profile(MeshConfig mesh, String service) {
    DestinationProfile.Builder out = DestinationProfile.newBuilder()
        .setService(service)
        .setFullyQualifiedName(service + "." + mesh.namespace() + CLUSTER_SUFFIX)
        .setNamespace(mesh.namespace());
    Optional<ServiceProfile> profile = mesh.profileOf(service);
    ServiceProfile.RetryBudget budget =
        profile.map(ServiceProfile::retryBudget).orElse(ServiceProfile.RetryBudget.DEFAULT);
    out.setRetryBudget(io.trellis.api.destination.RetryBudget.newBuilder()
        .setRetryRatio(budget.retryRatio())
        .setMinRetriesPerSecond(budget.minRetriesPerSecond())
        .setTtl(duration(budget.ttl())));
    profile.ifPresent(p -> {
      out.setHasProfile(true).setNamespace(p.namespace());
      p.routes().forEach(r -> out.addRoutes(route(r)));
      p.dstOverrides().forEach(d -> out.addDstOverrides(WeightedDst.newBuilder()
          .setAuthority(d.authority()).setWeightMilli(d.weightMilli())));
      new TreeSet<>(p.opaquePorts()).forEach(out::addOpaquePorts);
    });
    mesh.splitOf(service).ifPresent(s -> {
      io.trellis.api.destination.TrafficSplit.Builder split =
          io.trellis.api.destination.TrafficSplit.newBuilder()
              .setName(s.name()).setNamespace(s.namespace());
      s.backends().forEach(b -> split.addBackends(
          io.trellis.api.destination.TrafficSplit.Backend.newBuilder()
              .setService(b.service()).setWeightMilli(b.weightMilli())));
      out.setSplit(split);
    });
    ServiceConfig config = mesh.services().get(service);
    if (config != null) {
      config.routing().forEach(r -> out.addHeaderRoutes(headerRoute(r)));
      config.faults().forEach((route, f) -> out.putFaults(route, fault(f)));
      if (config.failureAccrual() != null) {
        out.setFailureAccrual(failureAccrual(config.failureAccrual()));
      }
    }
    return out.build();
  }

  private static io.trellis.api.destination.HeaderRoute headerRoute(HeaderRoute r) {
    var out = io.trellis.api.destination.HeaderRoute.newBuilder().setBackend(r.backend());
    for (HeaderRoute.HeaderMatch m : r.headers()) {
      var match = io.trellis.api.destination.HeaderMatch.newBuilder().setName(m.name());
      if (m.exact() != null) {
        match.setExact(m.exact());
      } else {
        match.setRegex(m.regex().pattern());
      }
      out.addHeaders(match);
    }
    return out.build();
  }

  private static io.trellis.api.destination.Fault fault(Fault f) {
    var out = io.trellis.api.destination.Fault.newBuilder();
    if (f.abort() != null) {
      out.setAbort(io.trellis.api.destination.Fault.Abort.newBuilder()
          .setPercent(f.abort().percent())
          .setStatus(f.abort().status())
          .setGrpcStatus(f.abort().grpcStatus()));
    }
    if (f.delay() != null) {
      out.setDelay(io.trellis.api.destination.Fault.Delay.newBuilder()
          .setPercent(f.delay().percent())
          .setDuration(duration(f.delay().duration())));
    }
    return out.build();
  }

  private static io.trellis.api.destination.FailureAccrual failureAccrual(FailureAccrual a) {
    var out = io.trellis.api.destination.FailureAccrual.newBuilder();
    if (a.consecutiveFailures() != null) {
      out.setConsecutiveFailures(a.consecutiveFailures());
    }
    if (a.penaltyMin() != null) {
      out.setPenaltyMin(duration(a.penaltyMin()));
    }
    if (a.penaltyMax() != null) {
      out.setPenaltyMax(duration(a.penaltyMax()));
    }
    if (a.jitter() != null) {
      out.setJitter(a.jitter());
    }
    return out.build();
  }

  private static io.trellis.api.destination.Route route(ServiceProfile.Route r) {
    io.trellis.api.destination.Route.Builder out = io.trellis.api.destination.Route.newBuilder()
        .setName(r.name())
        .setCondition(requestMatch(r.condition()))
        .setIsRetryable(r.retryable());
    r.responseClasses().forEach(c -> out.addResponseClasses(
        io.trellis.api.destination.ResponseClass.newBuilder()
            .setCondition(responseMatch(c.condition())).setIsFailure(c.failure())));
    if (r.timeout() != null) {
      out.setTimeout(duration(r.timeout()));
    }
    if (r.fault() != null) {
      out.setFault(fault(r.fault()));
    }
    return out.build();
  }

  private static io.trellis.api.destination.RequestMatch requestMatch(RequestMatch m) {
    var out = io.trellis.api.destination.RequestMatch.newBuilder();
    if (m instanceof RequestMatch.Method method) {
      out.setMethod(method.method());
    } else if (m instanceof RequestMatch.PathRegex path) {
      out.setPathRegex(path.pattern().pattern());
    } else if (m instanceof RequestMatch.All all) {
      var seq = io.trellis.api.destination.RequestMatch.Seq.newBuilder();
      all.matches().forEach(x -> seq.addMatches(requestMatch(x)));
      out.setAll(seq);
    } else if (m instanceof RequestMatch.Any any) {
      var seq = io.trellis.api.destination.RequestMatch.Seq.newBuilder();
      any.matches().forEach(x -> seq.addMatches(requestMatch(x)));
      out.setAny(seq);
    } else if (m instanceof RequestMatch.Not not) {
      out.setNot(requestMatch(not.match()));
    }
    return out.build();
  }

  private static io.trellis.api.destination.ResponseMatch responseMatch(ResponseMatch m) {
    var out = io.trellis.api.destination.ResponseMatch.newBuilder();
    if (m instanceof ResponseMatch.Status status) {
      out.setStatus(HttpStatusRange.newBuilder().setMin(status.min()).setMax(status.max()));
    } else if (m instanceof ResponseMatch.All all) {
      var seq = io.trellis.api.destination.ResponseMatch.Seq.newBuilder();
      all.matches().forEach(x -> seq.addMatches(responseMatch(x)));
      out.setAll(seq);
    } else if (m instanceof ResponseMatch.Any any) {
      var seq = io.trellis.api.destination.ResponseMatch.Seq.newBuilder();
      any.matches().forEach(x -> seq.addMatches(responseMatch(x)));
      out.setAny(seq);
    } else if (m instanceof ResponseMatch.Not not) {
      out.setNot(responseMatch(not.match()));
    }
    return out.build();
  }

  private static io.trellis.api.destination.Duration duration(Duration d) {
    return io.trellis.api.destination.Duration.newBuilder()
        .setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  // ---- protos -> mesh (proxy) ----

  /** Unmeshed endpoints of a set, as a service lists them in mesh.conf. */
  public static List<HostPort> unmeshed(EndpointSet set) {
    List<HostPort> out = new ArrayList<>();
    for (WeightedAddr a : set.getEndpointsList()) {
      if (a.getWorkload().isEmpty()) {
        out.add(hostPort(a.getAddr()));
      }
    }
    return out;
  }

  public static HostPort hostPort(TcpAddress addr) {
    return new HostPort(addr.getHost(), addr.getPort());
  }

  /** The ServiceProfile a message carries, empty when the service has none. */
  public static Optional<ServiceProfile> serviceProfile(DestinationProfile p) {
    if (!p.getHasProfile()) {
      return Optional.empty();
    }
    List<ServiceProfile.Route> routes = new ArrayList<>();
    p.getRoutesList().forEach(r -> routes.add(route(r)));
    var b = p.getRetryBudget();
    ServiceProfile.RetryBudget budget = new ServiceProfile.RetryBudget(
        b.getRetryRatio(), b.getMinRetriesPerSecond(), duration(b.getTtl()));
    List<ServiceProfile.DstOverride> overrides = new ArrayList<>();
    p.getDstOverridesList().forEach(d ->
        overrides.add(new ServiceProfile.DstOverride(d.getAuthority(), d.getWeightMilli())));
    return Optional.of(new ServiceProfile(p.getFullyQualifiedName(), p.getNamespace(), routes,
        budget, overrides, new java.util.HashSet<>(p.getOpaquePortsList())));
  }

  /** The TrafficSplit a message carries, empty when the service is no split's apex. */
  public static Optional<TrafficSplit> trafficSplit(DestinationProfile p) {
    if (!p.hasSplit()) {
      return Optional.empty();
    }
    var s = p.getSplit();
    List<TrafficSplit.Backend> backends = new ArrayList<>();
    s.getBackendsList().forEach(b ->
        backends.add(new TrafficSplit.Backend(b.getService(), b.getWeightMilli())));
    return Optional.of(new TrafficSplit(s.getName(), s.getNamespace(), p.getService(), backends));
  }

  private static ServiceProfile.Route route(io.trellis.api.destination.Route r) {
    List<ServiceProfile.ResponseClass> classes = new ArrayList<>();
    r.getResponseClassesList().forEach(c -> classes.add(
        new ServiceProfile.ResponseClass(responseMatch(c.getCondition()), c.getIsFailure())));
    return new ServiceProfile.Route(r.getName(), requestMatch(r.getCondition()), classes,
        r.getIsRetryable(), r.hasTimeout() ? duration(r.getTimeout()) : null,
        r.hasFault() ? fault(r.getFault()) : null);
  }

  /**
   * A service as mesh.conf would declare it: its port, its unmeshed endpoints, and the per-service
   * settings its profile message carries (none when {@code profile} is null, not received yet).
   */
  public static ServiceConfig serviceConfig(
      String name, int port, EndpointSet set, DestinationProfile profile) {
    if (profile == null) {
      return new ServiceConfig(name, port, unmeshed(set));
    }
    List<HeaderRoute> routing = new ArrayList<>();
    for (var r : profile.getHeaderRoutesList()) {
      headerRoute(r).ifPresent(routing::add);
    }
    Map<String, Fault> faults = new java.util.HashMap<>();
    profile.getFaultsMap().forEach((route, f) -> faults.put(route, fault(f)));
    return new ServiceConfig(name, port, unmeshed(set), OpaquePorts.DEFAULT,
        profile.hasFailureAccrual() ? failureAccrual(profile.getFailureAccrual()) : null,
        routing, faults);
  }

  /** Empty for a rule with a match kind this proxy does not know: it must not match more. */
  private static Optional<HeaderRoute> headerRoute(io.trellis.api.destination.HeaderRoute r) {
    List<HeaderRoute.HeaderMatch> headers = new ArrayList<>();
    for (var m : r.getHeadersList()) {
      switch (m.getValueCase()) {
        case EXACT -> headers.add(HeaderRoute.HeaderMatch.exact(m.getName(), m.getExact()));
        case REGEX -> headers.add(HeaderRoute.HeaderMatch.regex(m.getName(), m.getRegex()));
        case VALUE_NOT_SET -> {
          return Optional.empty();
        }
      }
    }
    return Optional.of(new HeaderRoute(headers, r.getBackend()));
  }

  private static Fault fault(io.trellis.api.destination.Fault f) {
    Fault.Abort abort = f.hasAbort()
        ? new Fault.Abort(f.getAbort().getPercent(), f.getAbort().getStatus(),
            f.getAbort().getGrpcStatus())
        : null;
    Fault.Delay delay = f.hasDelay()
        ? new Fault.Delay(f.getDelay().getPercent(), duration(f.getDelay().getDuration()))
        : null;
    return new Fault(abort, delay);
  }

  private static FailureAccrual failureAccrual(io.trellis.api.destination.FailureAccrual a) {
    return new FailureAccrual(
        a.hasConsecutiveFailures() ? a.getConsecutiveFailures() : null,
        a.hasPenaltyMin() ? duration(a.getPenaltyMin()) : null,
        a.hasPenaltyMax() ? duration(a.getPenaltyMax()) : null,
        a.hasJitter() ? a.getJitter() : null);
  }

  private static RequestMatch requestMatch(io.trellis.api.destination.RequestMatch m) {
    return switch (m.getMatchCase()) {
      case METHOD -> new RequestMatch.Method(m.getMethod());
      // Sent anchored already; compile as is so that equal profiles stay equal.
      case PATH_REGEX -> new RequestMatch.PathRegex(Pattern.compile(m.getPathRegex()));
      case ALL -> new RequestMatch.All(
          m.getAll().getMatchesList().stream().map(MeshProtos::requestMatch).toList());
      case ANY -> new RequestMatch.Any(
          m.getAny().getMatchesList().stream().map(MeshProtos::requestMatch).toList());
      case NOT -> new RequestMatch.Not(requestMatch(m.getNot()));
      // A newer control plane's unknown kind: match nothing rather than everything.
      case MATCH_NOT_SET -> new RequestMatch.Any(List.of());
    };
  }

  private static ResponseMatch responseMatch(io.trellis.api.destination.ResponseMatch m) {
    return switch (m.getMatchCase()) {
      case STATUS -> new ResponseMatch.Status(m.getStatus().getMin(), m.getStatus().getMax());
      case ALL -> new ResponseMatch.All(
          m.getAll().getMatchesList().stream().map(MeshProtos::responseMatch).toList());
      case ANY -> new ResponseMatch.Any(
          m.getAny().getMatchesList().stream().map(MeshProtos::responseMatch).toList());
      case NOT -> new ResponseMatch.Not(responseMatch(m.getNot()));
      case MATCH_NOT_SET -> new ResponseMatch.Any(List.of());
    };
  }

  private static Duration duration(io.trellis.api.destination.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  /** Service name to port, in the list's order. */
  static Map<String, Integer> ports(ServiceList list) {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    list.getServicesList().forEach(s -> out.put(s.getName(), s.getPort()));
    return out;
  }
}
