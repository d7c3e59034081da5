package io.trellis.config.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.trellis.config.FailureAccrual;
import io.trellis.config.Fault;
import io.trellis.config.HeaderRoute;
import io.trellis.config.HostPort;
import io.trellis.config.OpaquePorts;
import io.trellis.config.MeshConfigException;
import io.trellis.config.ProxyPorts;
import io.trellis.config.ServiceConfig;
import io.trellis.config.WorkloadConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code trellis.mesh} block of a resolved HOCON config: namespace, services, workloads
 * and the list of resource files. Other {@code trellis.*} sections (proxy settings and the like)
 * may share the file and are not looked at.
 */
public final class HoconMeshReader {
  public static final String ROOT = "trellis.mesh";

  private static final Set<String> MESH_KEYS =
      Set.of("namespace", "services", "workloads", "resources");
  private static final Set<String> SERVICE_KEYS =
      Set.of("port", "endpoints", "opaque-ports", "failure-accrual", "routing", "faults");
  private static final Set<String> RULE_KEYS = Set.of("match", "backend");
  private static final Set<String> MATCH_KEYS = Set.of("headers");
  private static final Set<String> HEADER_KEYS = Set.of("exact", "regex");
  private static final Set<String> FAULT_KEYS = Set.of("abort", "delay");
  private static final Set<String> ABORT_KEYS = Set.of("percent", "status", "grpc-status");
  private static final Set<String> DELAY_KEYS = Set.of("percent", "duration");
  private static final Set<String> FAILURE_ACCRUAL_KEYS =
      Set.of("consecutive-failures", "penalty-min", "penalty-max", "jitter");
  private static final Set<String> WORKLOAD_KEYS =
      Set.of(
          "address", "app-port", "serves", "service-account", "proxy", "opaque-ports", "upstreams");
  private static final Set<String> PROXY_KEYS = Set.of("outbound", "inbound", "admin", "tap");

  /** What mesh.conf says, before its resources are read. */
  public record Mesh(
      String namespace,
      Map<String, ServiceConfig> services,
      Map<String, WorkloadConfig> workloads,
      List<Resource> resources) {}

  /** A resources entry: the path as written, resolved against mesh.conf's directory. */
  public record Resource(String written, Path path, String keyPath, Path confFile, int line) {
    public MeshConfigException fail(String reason) {
      return new MeshConfigException(confFile, line, keyPath, reason);
    }
  }

  private final Path file;

  public HoconMeshReader(Path file) {
    this.file = file;
  }

  /** A service's {@code failure-accrual { ... }} block, or null when it has none. */
  private static FailureAccrual failureAccrual(HoconObject service) {
    if (!service.has("failure-accrual")) {
      return null;
    }
    HoconObject f = service.object("failure-accrual");
    f.allowOnly(FAILURE_ACCRUAL_KEYS);
    Integer failures = null;
    if (f.has("consecutive-failures")) {
      double n = f.number("consecutive-failures");
      if (n < 1 || n != Math.rint(n) || n > 1_000_000) {
        throw f.fail(f.value("consecutive-failures"), f.child("consecutive-failures"),
            "expected a whole number >= 1, got " + n);
      }
      failures = (int) n;
    }
    Duration min = f.has("penalty-min") ? f.positiveDuration("penalty-min") : null;
    Duration max = f.has("penalty-max") ? f.positiveDuration("penalty-max") : null;
    if (min != null && max != null && max.compareTo(min) < 0) {
      throw f.fail(f.value("penalty-max"), f.child("penalty-max"),
          "must be at least penalty-min (" + min.toMillis() + "ms)");
    }
    Double jitter = null;
    if (f.has("jitter")) {
      jitter = f.number("jitter");
      if (jitter < 0 || jitter > 1) {
        throw f.fail(f.value("jitter"), f.child("jitter"), "expected 0..1, got " + jitter);
      }
    }
    return new FailureAccrual(failures, min, max, jitter);
  }

  /**
   * A service's {@code routing = [ { match { headers { NAME = VALUE | { regex = R } } }, backend =
   * SERVICE } ]}: header rules in order; every header of a rule must match.
   */
  private static List<HeaderRoute> routing(HoconObject service, Set<String> services) {
    List<HeaderRoute> out = new ArrayList<>();
    if (!service.has("routing")) {
      return out;
    }
    for (HoconObject.Element e : service.list("routing")) {
      HoconObject rule = service.asObject(e.value(), e.path());
      rule.allowOnly(RULE_KEYS);
      String backend = rule.string("backend");
      if (!services.contains(backend)) {
        throw rule.fail(rule.value("backend"), rule.child("backend"),
            unknownService(backend, services));
      }
      HoconObject match = rule.object("match");
      match.allowOnly(MATCH_KEYS);
      HoconObject headers = match.object("headers");
      List<HeaderRoute.HeaderMatch> matches = new ArrayList<>();
      for (String name : headers.keys()) {
        ConfigValue v = headers.object().get(name);
        String at = headers.child(name);
        if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
          throw headers.fail(v, at, "\"" + name + "\" is not an HTTP header name");
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (v.valueType() == ConfigValueType.OBJECT) {
          HoconObject h = headers.asObject(v, at);
          h.allowOnly(HEADER_KEYS);
          if (h.has("exact") == h.has("regex")) {
            throw h.fail(v, at, "give exactly one of exact or regex");
          }
          if (h.has("exact")) {
            matches.add(HeaderRoute.HeaderMatch.exact(lower, h.string("exact")));
          } else {
            String regex = h.string("regex");
            try {
              matches.add(HeaderRoute.HeaderMatch.regex(lower, regex));
            } catch (java.util.regex.PatternSyntaxException ex) {
              throw h.fail(h.value("regex"), h.child("regex"),
                  "not a regular expression: " + ex.getDescription());
            }
          }
        } else {
          matches.add(HeaderRoute.HeaderMatch.exact(lower, headers.asString(v, at)));
        }
      }
      if (matches.isEmpty()) {
        throw match.fail(match.value("headers"), match.child("headers"),
            "a rule needs at least one header to match");
      }
      out.add(new HeaderRoute(matches, backend));
    }
    return out;
  }

  /**
   * A service's {@code faults { "ROUTE NAME" { abort { percent, status, grpc-status }, delay {
   * percent, duration } } }}, by route name ({@code "[DEFAULT]"} included).
   */
  private static Map<String, Fault> faults(HoconObject service) {
    Map<String, Fault> out = new LinkedHashMap<>();
    if (!service.has("faults")) {
      return out;
    }
    HoconObject faults = service.object("faults");
    for (String route : faults.keys()) {
      HoconObject f = faults.asObject(faults.object().get(route), faults.child(route));
      f.allowOnly(FAULT_KEYS);
      Fault.Abort abort = null;
      if (f.has("abort")) {
        HoconObject a = f.object("abort");
        a.allowOnly(ABORT_KEYS);
        double status = a.number("status");
        if (status < 100 || status > 599 || status != Math.rint(status)) {
          throw a.fail(a.value("status"), a.child("status"),
              "expected an HTTP status 100..599, got " + status);
        }
        int grpc = Fault.Abort.DEFAULT_GRPC_STATUS;
        if (a.has("grpc-status")) {
          double g = a.number("grpc-status");
          if (g < 0 || g > 16 || g != Math.rint(g)) {
            throw a.fail(a.value("grpc-status"), a.child("grpc-status"),
                "expected a gRPC status code 0..16, got " + g);
          }
          grpc = (int) g;
        }
        abort = new Fault.Abort(percent(a), (int) status, grpc);
      }
      Fault.Delay delay = null;
      if (f.has("delay")) {
        HoconObject d = f.object("delay");
        d.allowOnly(DELAY_KEYS);
        delay = new Fault.Delay(percent(d), d.positiveDuration("duration"));
      }
      if (abort == null && delay == null) {
        throw f.fail(f.object().origin(), f.path(), "a fault needs abort or delay (or both)");
      }
      out.put(route, new Fault(abort, delay));
    }
    return out;
  }

  private static double percent(HoconObject o) {
    double p = o.number("percent");
    if (!(p >= 0 && p <= 100)) {
      throw o.fail(o.value("percent"), o.child("percent"),
          "expected a percentage 0..100, got " + p);
    }
    return p;
  }

  public Mesh read(Config config) {
    HoconObject mesh = meshBlock(config);
    mesh.allowOnly(MESH_KEYS);

    String namespace = mesh.string("namespace", "default");
    if (mesh.has("namespace")) {
      checkName(mesh, mesh.value("namespace"), mesh.child("namespace"), Names::checkNamespace);
    }

    Map<String, ServiceConfig> services = new LinkedHashMap<>();
    List<HoconObject> serviceBlocks = entries(mesh, "services");
    for (HoconObject s : serviceBlocks) {
      s.allowOnly(SERVICE_KEYS);
      services.put(
          nameOf(s),
          new ServiceConfig(nameOf(s), s.port("port"), List.of(), opaquePorts(s)));
    }

    Listeners listeners = new Listeners();
    Map<String, WorkloadConfig> workloads = new LinkedHashMap<>();
    for (HoconObject w : entries(mesh, "workloads")) {
      workloads.put(nameOf(w), workload(w, services.keySet(), listeners));
    }

    // Unmeshed endpoints are read last so that one sitting on a mesh listener is reported at the
    // endpoint, which is the entry that is wrong.
    for (HoconObject s : serviceBlocks) {
      ServiceConfig service = services.get(nameOf(s));
      services.put(
          service.name(),
          new ServiceConfig(
              service.name(),
              service.port(),
              endpoints(s, listeners),
              service.opaquePorts(),
              failureAccrual(s),
              routing(s, services.keySet()),
              faults(s)));
    }

    List<Resource> resources = new ArrayList<>();
    Path dir = file.toAbsolutePath().getParent();
    for (HoconObject.Element e : mesh.list("resources")) {
      String written = mesh.asString(e.value(), e.path());
      resources.add(
          new Resource(
              written,
              dir.resolve(written).normalize(),
              e.path(),
              mesh.fileOf(e.value().origin()),
              HoconObject.lineOf(e.value())));
    }
    return new Mesh(namespace, services, workloads, resources);
  }

  private HoconObject meshBlock(Config config) {
    ConfigObject root = config.root();
    ConfigValue trellis = root.get("trellis");
    HoconObject top = new HoconObject(file, "", root);
    if (trellis == null) {
      throw new MeshConfigException(
          file, -1, ROOT, "missing; mesh.conf must have a trellis.mesh { ... } block");
    }
    HoconObject t = top.asObject(trellis, "trellis");
    ConfigValue mesh = t.object().get("mesh");
    if (mesh == null) {
      throw new MeshConfigException(
          file,
          t.line(),
          ROOT,
          "missing; mesh.conf must have a trellis.mesh { ... } block"
              + Typos.closest("mesh", t.keys())
                  .filter(k -> !k.equals("mesh"))
                  .map(k -> " (found trellis." + k + ")")
                  .orElse(""));
    }
    return t.asObject(mesh, ROOT);
  }

  private WorkloadConfig workload(HoconObject w, Set<String> services, Listeners listeners) {
    w.allowOnly(WORKLOAD_KEYS);
    String name = nameOf(w);
    String address = w.string("address");
    try {
      Addresses.checkHost(address, false);
    } catch (IllegalArgumentException e) {
      throw w.fail(w.value("address"), w.child("address"), e.getMessage());
    }
    int appPort = w.port("app-port");

    List<String> serves = new ArrayList<>();
    for (HoconObject.Element e : w.list("serves")) {
      String service = w.asString(e.value(), e.path());
      if (!services.contains(service)) {
        throw w.fail(e.value(), e.path(), unknownService(service, services));
      }
      if (serves.contains(service)) {
        throw w.fail(e.value(), e.path(), "\"" + service + "\" is listed twice");
      }
      serves.add(service);
    }

    String account = w.string("service-account", name);
    if (w.has("service-account")) {
      checkName(
          w, w.value("service-account"), w.child("service-account"), Names::checkServiceAccount);
    }

    ProxyPorts proxy = proxy(w, address);
    claim(listeners, w, "app-port", new HostPort(address, appPort));
    claim(listeners, w, "proxy.outbound", proxy.outbound());
    claim(listeners, w, "proxy.inbound", proxy.inbound());
    claim(listeners, w, "proxy.admin", proxy.admin());
    claim(listeners, w, "proxy.tap", proxy.tap());
    Map<String, Integer> upstreams = upstreams(w, address, services, listeners);
    return new WorkloadConfig(
        name, address, appPort, serves, account, proxy, opaquePorts(w), upstreams);
  }

  /** {@code opaque-ports = [..]}: a list of ports; absent means Linkerd's default list. */
  private static Set<Integer> opaquePorts(HoconObject o) {
    if (!o.has("opaque-ports")) {
      return OpaquePorts.DEFAULT;
    }
    Set<Integer> ports = new LinkedHashSet<>();
    for (HoconObject.Element e : o.list("opaque-ports")) {
      if (!ports.add(o.asPort(e.value(), e.path()))) {
        throw o.fail(e.value(), e.path(), e.value().unwrapped() + " is listed twice");
      }
    }
    return ports;
  }

  /**
   * {@code upstreams { SERVICE = PORT }}: each a listener on the workload's address carrying
   * opaque TCP to a service of the mesh; the port must be free like any other listener.
   */
  private static Map<String, Integer> upstreams(
      HoconObject w, String address, Set<String> services, Listeners listeners) {
    if (!w.has("upstreams")) {
      return Map.of();
    }
    HoconObject u = w.object("upstreams");
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String service : u.keys()) {
      ConfigValue v = u.object().get(service);
      if (!services.contains(service)) {
        throw u.fail(v, u.child(service), unknownService(service, services));
      }
      int port = u.port(service);
      out.put(service, port);
      listeners.claim(
          new Listeners.Claim(
              new HostPort(address, port),
              u.child(service),
              u.fileOf(v.origin()),
              HoconObject.lineOf(v)));
    }
    return out;
  }

  /** Each listener is a port on the workload's address, or an explicit "ip:port". */
  private ProxyPorts proxy(HoconObject w, String address) {
    if (!w.has("proxy")) {
      return ProxyPorts.defaultsFor(address);
    }
    HoconObject p = w.object("proxy");
    p.allowOnly(PROXY_KEYS);
    return new ProxyPorts(
        listener(p, "outbound", address, ProxyPorts.DEFAULT_OUTBOUND),
        listener(p, "inbound", address, ProxyPorts.DEFAULT_INBOUND),
        listener(p, "admin", address, ProxyPorts.DEFAULT_ADMIN),
        listener(p, "tap", address, ProxyPorts.DEFAULT_TAP));
  }

  private static HostPort listener(HoconObject p, String key, String address, int defaultPort) {
    if (!p.has(key)) {
      return new HostPort(address, defaultPort);
    }
    ConfigValue v = p.value(key);
    String text = String.valueOf(v.unwrapped()).trim();
    if (v.valueType() == ConfigValueType.NUMBER || text.matches("\\d+")) {
      return new HostPort(address, p.asPort(v, p.child(key)));
    }
    p.asString(v, p.child(key));
    try {
      return Addresses.hostPort(text, false);
    } catch (IllegalArgumentException e) {
      throw p.fail(v, p.child(key), e.getMessage());
    }
  }

  /**
   * Claims a listener at the line of its key when written, else at the workload's own line (a
   * defaulted listener has no line of its own).
   */
  private static void claim(Listeners listeners, HoconObject w, String key, HostPort address) {
    ConfigValue written = null;
    try {
      written = w.object().toConfig().getValue(key);
    } catch (ConfigException.Missing | ConfigException.WrongType e) {
      // not written: defaulted
    }
    ConfigOrigin origin = written != null ? written.origin() : w.object().origin();
    listeners.claim(
        new Listeners.Claim(address, w.child(key), w.fileOf(origin), origin.lineNumber()));
  }

  private static List<HostPort> endpoints(HoconObject s, Listeners listeners) {
    List<HostPort> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (HoconObject.Element e : s.list("endpoints")) {
      String text = s.asString(e.value(), e.path());
      HostPort hp;
      try {
        hp = Addresses.hostPort(text, true);
      } catch (IllegalArgumentException ex) {
        throw s.fail(e.value(), e.path(), ex.getMessage());
      }
      if (!seen.add(Addresses.socketKey(hp))) {
        throw s.fail(e.value(), e.path(), hp + " is listed twice");
      }
      listeners.check(
          new Listeners.Claim(
              hp, e.path(), s.fileOf(e.value().origin()), HoconObject.lineOf(e.value())));
      out.add(hp);
    }
    return out;
  }

  /** The entries of a map-like object (services, workloads) in file order, names checked. */
  private static List<HoconObject> entries(HoconObject mesh, String key) {
    if (!mesh.has(key)) {
      return List.of();
    }
    HoconObject map = mesh.object(key);
    List<HoconObject> out = new ArrayList<>();
    for (String name : map.keys()) {
      ConfigValue v = map.object().get(name);
      try {
        Names.checkLabel(name);
      } catch (IllegalArgumentException e) {
        throw map.fail(v, map.child(name), e.getMessage());
      }
      out.add(map.asObject(v, map.child(name)));
    }
    out.sort(Comparator.comparingInt(HoconObject::line).thenComparing(HoconObject::path));
    return out;
  }

  private static String nameOf(HoconObject entry) {
    return entry.path().substring(entry.path().lastIndexOf('.') + 1);
  }

  private static void checkName(
      HoconObject o, ConfigValue v, String path, java.util.function.Consumer<String> check) {
    try {
      check.accept((String) v.unwrapped());
    } catch (IllegalArgumentException e) {
      throw o.fail(v, path, e.getMessage());
    }
  }

  static String unknownService(String service, Set<String> services) {
    return "unknown service \""
        + service
        + "\""
        + Typos.closest(service, services)
            .map(s -> "; did you mean `" + s + "`?")
            .orElse(
                services.isEmpty()
                    ? "; trellis.mesh.services is empty"
                    : "; known services: "
                        + String.join(", ", services.stream().sorted().toList()));
  }

  /** Every file that contributed a value to {@code config}: the file itself and its includes. */
  public static Set<Path> filesOf(Config config) {
    Set<Path> out = new LinkedHashSet<>();
    collectFiles(config.root(), out);
    return out;
  }

  private static void collectFiles(ConfigValue v, Set<Path> out) {
    if (v.origin() != null && v.origin().filename() != null) {
      out.add(Path.of(v.origin().filename()).toAbsolutePath().normalize());
    }
    if (v instanceof ConfigObject o) {
      o.values().forEach(child -> collectFiles(child, out));
    } else if (v instanceof ConfigList l) {
      l.forEach(child -> collectFiles(child, out));
    }
  }

  /** Turns a HOCON syntax or substitution error into the same shape of message. */
  public MeshConfigException syntax(ConfigException e) {
    int line = e.origin() == null ? -1 : e.origin().lineNumber();
    Path at =
        e.origin() != null && e.origin().filename() != null ? Path.of(e.origin().filename()) : file;
    String reason = e.getMessage();
    // typesafe-config prefixes "<origin>: <line>: "; the location is ours to print.
    int cut = reason.indexOf(": ", reason.indexOf(": ") + 2);
    if (e.origin() != null && reason.startsWith(e.origin().description()) && cut > 0) {
      reason = reason.substring(cut + 2);
    }
    return new MeshConfigException(at, line, "", reason, e);
  }
}
