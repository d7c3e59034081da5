package io.trellis.config.internal;

import io.trellis.config.Fault;
import io.trellis.config.MeshConfig;
import io.trellis.config.RequestMatch;
import io.trellis.config.ResponseMatch;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceProfile.DstOverride;
import io.trellis.config.ServiceProfile.ResponseClass;
import io.trellis.config.ServiceProfile.RetryBudget;
import io.trellis.config.ServiceProfile.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** Reads a ServiceProfile (linkerd.io/v1alpha2) document, checking it as Linkerd would and more. */
final class ProfileReader {
  private static final String CLUSTER_SUFFIX = ".svc.cluster.local";
  private static final Set<String> SPEC_KEYS =
      Set.of("routes", "retryBudget", "dstOverrides", "opaquePorts");
  private static final Set<String> ROUTE_KEYS =
      Set.of("name", "condition", "responseClasses", "isRetryable", "timeout", "x-trellis-fault");
  private static final Set<String> FAULT_KEYS = Set.of("abort", "delay");
  private static final Set<String> ABORT_KEYS = Set.of("percent", "status", "grpcStatus");
  private static final Set<String> DELAY_KEYS = Set.of("percent", "duration");
  private static final Set<String> REQUEST_KEYS =
      Set.of("method", "pathRegex", "all", "any", "not");
  private static final Set<String> CLASS_KEYS = Set.of("condition", "isFailure");
  private static final Set<String> RESPONSE_KEYS = Set.of("status", "all", "any", "not");
  private static final Set<String> STATUS_KEYS = Set.of("min", "max");
  private static final Set<String> BUDGET_KEYS = Set.of("retryRatio", "minRetriesPerSecond", "ttl");
  private static final Set<String> OVERRIDE_KEYS = Set.of("authority", "weight");
  // RFC 9110 token characters: what an HTTP method may be made of.
  private static final Pattern METHOD = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private final HoconMeshReader.Mesh mesh;

  ProfileReader(HoconMeshReader.Mesh mesh) {
    this.mesh = mesh;
  }

  ServiceProfile read(YamlMap doc, ResourceReader.Metadata meta) {
    checkName(doc, meta);
    YamlMap spec = doc.optionalMap("spec").orElse(null);
    if (spec == null) {
      throw doc.fail(doc.node(), "spec", "missing; this field is required");
    }
    spec.allowOnly(SPEC_KEYS);
    List<Route> routes = new ArrayList<>();
    for (YamlMap.Element e : spec.list("routes")) {
      routes.add(route(spec.asMap(e.node(), e.path())));
    }
    RetryBudget budget =
        spec.optionalMap("retryBudget").map(this::budget).orElse(RetryBudget.DEFAULT);
    List<DstOverride> overrides = new ArrayList<>();
    int port = mesh.services().get(serviceOf(meta.name())).port();
    for (YamlMap.Element e : spec.list("dstOverrides")) {
      overrides.add(dstOverride(spec.asMap(e.node(), e.path()), port));
    }
    return new ServiceProfile(
        meta.name(), meta.namespace(), routes, budget, overrides, opaquePorts(spec));
  }

  /** The name must be the FQDN of a service of the mesh: that is how Linkerd finds a profile. */
  private void checkName(YamlMap doc, ResourceReader.Metadata meta) {
    YamlMap metadata = doc.map("metadata");
    String name = meta.name();
    String suffix = "." + mesh.namespace() + CLUSTER_SUFFIX;
    if (!name.endsWith(suffix) || name.length() == suffix.length()) {
      throw metadata.fail(
          "name",
          "a ServiceProfile's name must be its service's FQDN,"
              + " <service>"
              + suffix
              + ", got \""
              + name
              + "\"");
    }
    String service = serviceOf(name);
    if (!mesh.services().containsKey(service)) {
      throw metadata.fail(
          "name",
          "\""
              + name
              + "\" names "
              + HoconMeshReader.unknownService(service, mesh.services().keySet()));
    }
  }

  /** web-svc of web-svc.demo.svc.cluster.local, once checkName has passed. */
  private static String serviceOf(String fqdn) {
    return fqdn.substring(0, fqdn.indexOf('.'));
  }

  private Route route(YamlMap r) {
    r.allowOnly(ROUTE_KEYS);
    String name = r.string("name");
    RequestMatch condition = requestMatch(r.map("condition"));
    List<ResponseClass> classes = new ArrayList<>();
    for (YamlMap.Element e : r.list("responseClasses")) {
      YamlMap c = r.asMap(e.node(), e.path());
      c.allowOnly(CLASS_KEYS);
      classes.add(new ResponseClass(responseMatch(c.map("condition")), c.bool("isFailure", false)));
    }
    boolean retryable = r.bool("isRetryable", false);
    Duration timeout = r.get("timeout").map(n -> duration(r, n, "timeout")).orElse(null);
    // Linkerd reads a zero timeout as "no timeout".
    if (timeout != null && timeout.isZero()) {
      timeout = null;
    }
    Fault fault = r.optionalMap("x-trellis-fault").map(ProfileReader::fault).orElse(null);
    return new Route(name, condition, classes, retryable, timeout, fault);
  }

  /**
   * A route's {@code x-trellis-fault: {abort: {percent, status, grpcStatus}, delay: {percent,
   * duration}}} (a Trellis extension).
   */
  private static Fault fault(YamlMap f) {
    f.allowOnly(FAULT_KEYS);
    Fault.Abort abort = f.optionalMap("abort").map(a -> {
      a.allowOnly(ABORT_KEYS);
      double percent = percent(a);
      int status = statusCode(a, a.required("status"), "status");
      int grpc = Fault.Abort.DEFAULT_GRPC_STATUS;
      if (a.get("grpcStatus").isPresent()) {
        Node n = a.required("grpcStatus");
        long g = a.integer(n, a.child("grpcStatus"));
        if (g < 0 || g > 16) {
          throw a.fail(n, a.child("grpcStatus"), "expected a gRPC status code 0..16, got " + g);
        }
        grpc = (int) g;
      }
      return new Fault.Abort(percent, status, grpc);
    }).orElse(null);
    Fault.Delay delay = f.optionalMap("delay").map(d -> {
      d.allowOnly(DELAY_KEYS);
      double percent = percent(d);
      Duration duration = duration(d, d.required("duration"), "duration");
      if (duration.isZero()) {
        throw d.fail("duration", "expected a positive duration such as 200ms");
      }
      return new Fault.Delay(percent, duration);
    }).orElse(null);
    if (abort == null && delay == null) {
      throw f.fail(f.node(), f.path(), "a fault needs abort or delay (or both)");
    }
    return new Fault(abort, delay);
  }

  private static double percent(YamlMap m) {
    Node n = m.required("percent");
    double p = m.number(n, m.child("percent"));
    if (!(p >= 0 && p <= 100)) {
      throw m.fail(n, m.child("percent"), "expected a percentage 0..100, got " + p);
    }
    return p;
  }

  /** Several fields in one condition all apply, as in Linkerd. */
  private RequestMatch requestMatch(YamlMap m) {
    m.allowOnly(REQUEST_KEYS);
    List<RequestMatch> all = new ArrayList<>();
    if (m.get("all").isPresent()) {
      all.add(new RequestMatch.All(requestMatches(m, "all")));
    }
    if (m.get("any").isPresent()) {
      all.add(new RequestMatch.Any(requestMatches(m, "any")));
    }
    Optional<String> method = m.optionalString("method");
    if (method.isPresent()) {
      if (!METHOD.matcher(method.get()).matches()) {
        throw m.fail("method", "\"" + method.get() + "\" is not an HTTP method");
      }
      all.add(new RequestMatch.Method(method.get().toUpperCase(Locale.ROOT)));
    }
    if (m.get("not").isPresent()) {
      all.add(new RequestMatch.Not(requestMatch(m.map("not"))));
    }
    Optional<String> regex = m.optionalString("pathRegex");
    if (regex.isPresent()) {
      try {
        // Compiled as written first, so that the error's index points into what the user wrote.
        Pattern.compile(regex.get().trim());
        all.add(RequestMatch.PathRegex.of(regex.get()));
      } catch (PatternSyntaxException e) {
        throw m.fail(
            "pathRegex",
            "bad regular expression \""
                + regex.get()
                + "\": "
                + e.getDescription()
                + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
      }
    }
    if (all.isEmpty()) {
      throw m.fail(
          m.node(),
          m.path(),
          "a condition needs at least one of "
              + String.join(", ", REQUEST_KEYS.stream().sorted().toList()));
    }
    return all.size() == 1 ? all.get(0) : new RequestMatch.All(all);
  }

  private List<RequestMatch> requestMatches(YamlMap m, String key) {
    List<RequestMatch> out = new ArrayList<>();
    for (YamlMap.Element e : m.list(key)) {
      out.add(requestMatch(m.asMap(e.node(), e.path())));
    }
    return out;
  }

  private ResponseMatch responseMatch(YamlMap m) {
    m.allowOnly(RESPONSE_KEYS);
    List<ResponseMatch> all = new ArrayList<>();
    if (m.get("all").isPresent()) {
      all.add(new ResponseMatch.All(responseMatches(m, "all")));
    }
    if (m.get("any").isPresent()) {
      all.add(new ResponseMatch.Any(responseMatches(m, "any")));
    }
    if (m.get("status").isPresent()) {
      all.add(status(m.map("status")));
    }
    if (m.get("not").isPresent()) {
      all.add(new ResponseMatch.Not(responseMatch(m.map("not"))));
    }
    if (all.isEmpty()) {
      throw m.fail(
          m.node(),
          m.path(),
          "a condition needs at least one of "
              + String.join(", ", RESPONSE_KEYS.stream().sorted().toList()));
    }
    return all.size() == 1 ? all.get(0) : new ResponseMatch.All(all);
  }

  private List<ResponseMatch> responseMatches(YamlMap m, String key) {
    List<ResponseMatch> out = new ArrayList<>();
    for (YamlMap.Element e : m.list(key)) {
      out.add(responseMatch(m.asMap(e.node(), e.path())));
    }
    return out;
  }

  /** Linkerd: setting only one of min and max matches just that status code. */
  private ResponseMatch status(YamlMap s) {
    s.allowOnly(STATUS_KEYS);
    Integer min = s.get("min").map(n -> statusCode(s, n, "min")).orElse(null);
    Integer max = s.get("max").map(n -> statusCode(s, n, "max")).orElse(null);
    if (min == null && max == null) {
      throw s.fail(s.node(), s.path(), "a status range needs min, max or both");
    }
    int lo = min != null ? min : max;
    int hi = max != null ? max : min;
    if (lo > hi) {
      throw s.fail("max", "max " + hi + " is below min " + lo);
    }
    return new ResponseMatch.Status(lo, hi);
  }

  private static int statusCode(YamlMap s, Node n, String key) {
    long code = s.integer(n, s.child(key));
    if (code < 100 || code > 599) {
      throw s.fail(n, s.child(key), "expected an HTTP status 100..599, got " + code);
    }
    return (int) code;
  }

  /** Ranges the proxy accepts; outside them Linkerd's proxy drops the budget with a warning. */
  private RetryBudget budget(YamlMap b) {
    b.allowOnly(BUDGET_KEYS);
    RetryBudget d = RetryBudget.DEFAULT;
    double ratio =
        b.get("retryRatio").map(n -> b.number(n, b.child("retryRatio"))).orElse(d.retryRatio());
    if (ratio < 0 || ratio > 1000) {
      throw b.fail("retryRatio", "expected a ratio 0..1000, got " + ratio);
    }
    long min =
        b.get("minRetriesPerSecond")
            .map(n -> b.integer(n, b.child("minRetriesPerSecond")))
            .orElse((long) d.minRetriesPerSecond());
    if (min < 0 || min > Integer.MAX_VALUE) {
      throw b.fail("minRetriesPerSecond", "expected 0.." + Integer.MAX_VALUE + ", got " + min);
    }
    Duration ttl = b.get("ttl").map(n -> duration(b, n, "ttl")).orElse(d.ttl());
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofSeconds(60)) > 0) {
      throw b.fail(
          "ttl",
          "expected a ttl from 1s to 60s, got \""
              + b.asString(b.required("ttl"), b.child("ttl"))
              + "\"");
    }
    return new RetryBudget(ratio, (int) min, ttl);
  }

  /**
   * An authority inside the mesh's namespace must name one of its services on that service's port;
   * anything else (another namespace, an external name) is egress and taken as written.
   */
  private DstOverride dstOverride(YamlMap o, int defaultPort) {
    o.allowOnly(OVERRIDE_KEYS);
    String authority = o.string("authority");
    String host;
    try {
      host = authority.contains(":") ? Addresses.hostPort(authority, true).host() : authority;
      Addresses.checkHost(host, true);
    } catch (IllegalArgumentException e) {
      throw o.fail("authority", e.getMessage());
    }
    String h = host.toLowerCase(Locale.ROOT);
    h = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    String ns = "." + mesh.namespace();
    boolean inMesh =
        !Addresses.isIpLiteral(h)
            && (h.indexOf('.') < 0
                || h.endsWith(ns) && h.indexOf('.') == h.length() - ns.length()
                || h.endsWith(ns + CLUSTER_SUFFIX));
    if (inMesh && meshView().resolve(authority, defaultPort).isEmpty()) {
      String name = h.indexOf('.') < 0 ? h : h.substring(0, h.indexOf('.'));
      ServiceConfig known = mesh.services().get(name);
      throw o.fail(
          "authority",
          known == null
              ? "\""
                  + authority
                  + "\" names "
                  + HoconMeshReader.unknownService(name, mesh.services().keySet())
              : "service \""
                  + name
                  + "\" listens on port "
                  + known.port()
                  + ", not as in \""
                  + authority
                  + "\"");
    }
    long weight = quantity(o, "weight");
    return new DstOverride(authority, weight);
  }

  private MeshConfig meshView() {
    return new MeshConfig(mesh.namespace(), mesh.services(), mesh.workloads());
  }

  /** opaquePorts is a map from port to true; ports mapped to false are not opaque. */
  private static Set<Integer> opaquePorts(YamlMap spec) {
    Optional<Node> n = spec.get("opaquePorts");
    if (n.isEmpty()) {
      return Set.of();
    }
    String at = spec.child("opaquePorts");
    if (!(n.get() instanceof MappingNode m)) {
      throw spec.fail(
          n.get(), at, "expected a map from port to true, got " + YamlMap.describe(n.get()));
    }
    YamlMap ports = spec.asMap(m, at);
    Set<Integer> out = new LinkedHashSet<>();
    for (NodeTuple t : m.getValue()) {
      String key = ports.asString(t.getKeyNode(), at);
      int port;
      try {
        port = Addresses.port(key);
      } catch (IllegalArgumentException e) {
        throw spec.fail(t.getKeyNode(), ports.child(key), e.getMessage());
      }
      if (ports.bool(key, false)) {
        out.add(port);
      }
    }
    return out;
  }

  static long quantity(YamlMap o, String key) {
    Node n = o.required(key);
    long milli;
    try {
      milli = Quantity.milli(o.asString(n, o.child(key)));
    } catch (IllegalArgumentException e) {
      throw o.fail(n, o.child(key), e.getMessage());
    }
    if (milli < 0) {
      throw o.fail(n, o.child(key), "weight must not be negative, got " + YamlMap.describe(n));
    }
    return milli;
  }

  private static Duration duration(YamlMap m, Node n, String key) {
    try {
      return GoDuration.parse(m.asString(n, m.child(key)));
    } catch (IllegalArgumentException e) {
      throw m.fail(n, m.child(key), e.getMessage());
    }
  }
}
