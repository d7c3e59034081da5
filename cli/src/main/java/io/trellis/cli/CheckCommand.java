package io.trellis.cli;

import io.trellis.api.controlplane.CertificateInfo;
import io.trellis.api.controlplane.IdentityStatus;
import io.trellis.api.controlplane.Member;
import io.trellis.api.controlplane.StatusReply;
import io.trellis.api.controlplane.StatusRequest;
import io.trellis.api.controlplane.Subscriber;
import io.trellis.api.controlplane.Workload;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis check}: is the local mesh healthy? Shaped like {@code linkerd check}. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Checks the control plane (API reachable, cluster members up, split brain resolver) and",
      "mesh.conf as it loaded it, and the identity CA (valid; expiring within 30 days is a",
      "warning); with --proxy also every workload's proxy (ready on its admin address,",
      "subscribed to the control plane, holding a valid certificate). Exit code 1 when a check",
      "fails; warnings do not fail."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ControlPlaneClient.Options controlPlane;

  @Option(names = "--proxy", description = "Also check the data plane (every workload's proxy).")
  boolean proxy;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
      description = "With --proxy: only this namespace's proxies.")
  String namespace;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table or json")
  String output;

  @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "0s",
      description = "Retry until every check passes or this long has passed (30s, 2m; "
          + "default ${DEFAULT-VALUE}: check once).")
  String wait;

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  /**
   * One check's outcome; {@code error} and {@code hint} only when it failed or warns. A warning
   * ({@code ‼}) is ok: it does not fail the check.
   */
  record Result(String description, boolean ok, boolean warning, String error, String hint) {}

  /** Certificates valid for less than this get a warning (linkerd check: 60 days). */
  static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  record Category(String name, List<Result> checks) {}

  @Override
  public Integer call() throws InterruptedException {
    Output out = new Output(spec, "check");
    if (!output.equals("table") && !output.equals("json")) {
      return out.fail("-o: expected table or json, got \"" + output + "\"", 2);
    }
    Matcher m = DURATION.matcher(wait);
    if (!m.matches()) {
      return out.fail("--wait: expected a duration like 30s or 2m, got \"" + wait + "\"", 2);
    }
    Duration waitFor = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(Long.parseLong(m.group(1)));
      case "s" -> Duration.ofSeconds(Long.parseLong(m.group(1)));
      case "m" -> Duration.ofMinutes(Long.parseLong(m.group(1)));
      default -> Duration.ofHours(Long.parseLong(m.group(1)));
    };
    long deadline = System.nanoTime() + waitFor.toNanos();
    List<Category> result;
    try (ControlPlaneClient client = new ControlPlaneClient(controlPlane.hostPort())) {
      while (true) {
        result = runChecks(client);
        if (passed(result) || System.nanoTime() >= deadline) {
          break;
        }
        Thread.sleep(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      }
    } catch (IllegalArgumentException e) {
      return out.fail("--control-plane: " + e.getMessage(), 2);
    }
    boolean ok = passed(result);
    if (output.equals("json")) {
      out.println(Json.write(json(result, ok)));
    } else {
      render(result, ok).forEach(out::println);
    }
    return ok ? 0 : 1;
  }

  static boolean passed(List<Category> categories) {
    return categories.stream().allMatch(c -> c.checks().stream().allMatch(Result::ok));
  }

  private List<Category> runChecks(ControlPlaneClient client) {
    List<Category> out = new ArrayList<>();
    List<Result> cp = new ArrayList<>();
    out.add(new Category("trellis-control-plane", cp));
    StatusReply status;
    try {
      status = client.await(client.status().status(StatusRequest.getDefaultInstance()));
      cp.add(ok("control plane API is reachable at " + client.address()));
    } catch (ControlPlaneClient.Failure f) {
      cp.add(fail("control plane API is reachable at " + client.address(), f.getMessage(),
          "start one with trellis control-plane --config mesh.conf (or trellis demo), or point "
              + "at it with --control-plane HOST:PORT"));
      return out; // nothing else can be checked
    }
    cp.add(members(status));
    boolean sbr = status.getDowningProvider().endsWith("SplitBrainResolverProvider")
        && !status.getSbrStrategy().isEmpty();
    cp.add(sbr ? ok("split brain resolver is configured (" + status.getSbrStrategy() + ")")
        : fail("split brain resolver is configured",
            "downing provider \"" + status.getDowningProvider() + "\"",
            "run the control plane with trellis control-plane (it configures keep-majority)"));

    List<Result> conf = new ArrayList<>();
    out.add(new Category("trellis-config", conf));
    String described = "mesh.conf is valid" + (status.getMeshSource().isEmpty() ? ""
        : " (" + status.getMeshSource() + ")");
    conf.add(status.getMeshError().isEmpty()
        ? ok(described)
        : fail(described, status.getMeshError(),
            "fix mesh.conf; the control plane serves the last valid mesh until then"));

    out.add(new Category("trellis-identity", identity(status, Instant.now())));

    if (proxy) {
      List<Result> dataPlane = dataPlane(status);
      if (status.hasIdentity()) {
        dataPlane.addAll(proxyCertificates(status, Instant.now()));
      }
      out.add(new Category("trellis-data-plane", dataPlane));
    }
    return out;
  }

  /** The CA the control plane issues from: present, valid, not about to expire, one chain. */
  static List<Result> identity(StatusReply status, Instant now) {
    List<Result> out = new ArrayList<>();
    if (!status.hasIdentity()) {
      out.add(warn("mTLS is on (the control plane issues certificates)",
          "node " + status.getSelf() + " has no identity service (no state directory): proxies"
              + " run without mTLS",
          "run the control plane with a state directory (trellis.control-plane.state-dir; the"
              + " default .trellis beside mesh.conf)"));
      return out;
    }
    IdentityStatus id = status.getIdentity();
    if (!id.getError().isEmpty()) {
      out.add(fail("certificate config is valid (" + id.getCaDirectory() + ")", id.getError(),
          "see docs/identity.md: trellis identity init creates or imports a CA"));
      return out;
    }
    out.add(ok("certificate config is valid"));
    List<String> expired = new ArrayList<>();
    List<String> soon = new ArrayList<>();
    for (CertificateInfo a : id.getAnchorsList()) {
      classify(a, now, expired, soon);
    }
    String anchors = id.getAnchorsCount() + " trust anchor(s)"
        + (id.getAnchorsCount() > 1 ? ", the overlap bundle of an anchor rotation" : "");
    out.add(expired.isEmpty()
        ? ok("trust anchors are within their validity period (" + anchors + ")")
        : fail("trust anchors are within their validity period", String.join("; ", expired),
            "rotate the trust anchor: trellis identity rotate-anchor prepare|switch|finish"));
    out.add(soon.isEmpty()
        ? ok("trust anchors are valid for at least " + EXPIRY_WARNING.toDays() + " days")
        : warn("trust anchors are valid for at least " + EXPIRY_WARNING.toDays() + " days",
            String.join("; ", soon),
            "rotate the trust anchor soon: trellis identity rotate-anchor prepare|switch|finish"));
    CertificateInfo issuer = id.getIssuer();
    List<String> issuerExpired = new ArrayList<>();
    List<String> issuerSoon = new ArrayList<>();
    classify(issuer, now, issuerExpired, issuerSoon);
    out.add(issuerExpired.isEmpty()
        ? ok("issuer cert is within its validity period (until "
            + Instant.ofEpochMilli(issuer.getNotAfterMs()) + ")")
        : fail("issuer cert is within its validity period", String.join("; ", issuerExpired),
            "no proxy can renew: trellis identity rotate-issuer --config mesh.conf"));
    out.add(issuerSoon.isEmpty()
        ? ok("issuer cert is valid for at least " + EXPIRY_WARNING.toDays() + " days")
        : warn("issuer cert is valid for at least " + EXPIRY_WARNING.toDays() + " days",
            String.join("; ", issuerSoon),
            "rotate it before it expires: trellis identity rotate-issuer --config mesh.conf"));
    out.add(id.getIssuerSignedByAnchor()
        ? ok("issuer cert is issued by the trust anchor")
        : fail("issuer cert is issued by the trust anchor",
            issuer.getSubject() + " is signed by no anchor of the trust bundle",
            "import an issuer signed by the anchor (trellis identity init --force ...)"));
    if (id.getAnchorRotationPending()) {
      out.add(warn("no trust anchor rotation is half done", "rotate-anchor prepare ran; switch"
              + " has not", "once every proxy has the overlap bundle: trellis identity"
              + " rotate-anchor switch, then finish a leaf lifetime later"));
    }
    return out;
  }

  /** Adds "SUBJECT expired ..." or "SUBJECT expires ..." for {@code c} to the matching list. */
  private static void classify(
      CertificateInfo c, Instant now, List<String> expired, List<String> soon) {
    Instant notBefore = Instant.ofEpochMilli(c.getNotBeforeMs());
    Instant notAfter = Instant.ofEpochMilli(c.getNotAfterMs());
    if (now.isBefore(notBefore)) {
      expired.add(c.getSubject() + " is not valid before " + notBefore);
    } else if (!now.isBefore(notAfter)) {
      expired.add(c.getSubject() + " expired at " + notAfter);
    } else if (Duration.between(now, notAfter).compareTo(EXPIRY_WARNING) < 0) {
      soon.add(c.getSubject() + " expires at " + notAfter);
    }
  }

  /**
   * Every proxy's certificate, from its admin {@code /metrics}: present and unexpired; renewals
   * failing in a row are a warning.
   */
  private List<Result> proxyCertificates(StatusReply status, Instant now) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).build();
    List<String> bad = new ArrayList<>();
    List<String> failing = new ArrayList<>();
    List<Workload> workloads = status.getWorkloadsList().stream()
        .filter(w -> namespace == null || w.getNamespace().equals(namespace)).toList();
    for (Workload w : workloads) {
      String metrics = scrape(http, w.getAdmin());
      if (metrics == null) {
        bad.add(w.getName() + ": /metrics unreachable at " + w.getAdmin());
        continue;
      }
      Double expires = gauge(metrics, "identity_cert_expiration_timestamp_seconds");
      Double failures = gauge(metrics, "identity_cert_refresh_failing");
      if (expires == null || expires <= 0) {
        bad.add(w.getName() + ": no certificate (started without --control-plane, or with"
            + " --identity off?)");
      } else if (expires * 1000 <= now.toEpochMilli()) {
        bad.add(w.getName() + ": certificate expired at "
            + Instant.ofEpochMilli((long) (expires * 1000)));
      }
      if (failures != null && failures > 0) {
        failing.add(w.getName() + ": " + failures.longValue() + " renewal(s) failed in a row");
      }
    }
    int n = workloads.size();
    List<Result> out = new ArrayList<>();
    out.add(bad.isEmpty()
        ? ok("data plane proxies have valid certificates (" + n + "/" + n + ")")
        : fail("data plane proxies have valid certificates (" + (n - bad.size()) + "/" + n + ")",
            String.join("; ", bad), "see the proxies' logs (lines starting identity:)"));
    if (!failing.isEmpty()) {
      out.add(warn("data plane proxies renew their certificates", String.join("; ", failing),
          "check that the control plane is reachable and the proxies' tokens are readable"));
    }
    return out;
  }

  /** {@code GET http://ADMIN/metrics}'s body, null when it does not answer 200. */
  private static String scrape(HttpClient http, String admin) {
    try {
      HttpResponse<String> rsp = http.send(
          HttpRequest.newBuilder(URI.create("http://" + admin + "/metrics"))
              .timeout(PROBE_TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return rsp.statusCode() == 200 ? rsp.body() : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static final Pattern SAMPLE_LINE = Pattern.compile("^(\\w+)(\\{[^}]*})? (\\S+)$");

  /** The first value of gauge {@code name} in Prometheus text, else null. */
  static Double gauge(String text, String name) {
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE_LINE.matcher(line);
      if (m.matches() && m.group(1).equals(name)) {
        try {
          return Double.parseDouble(m.group(3));
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  private static Result members(StatusReply status) {
    List<String> bad = status.getMembersList().stream()
        .filter(m -> !m.getStatus().equals("Up") || !m.getReachable())
        .map(m -> m.getAddress() + " " + (m.getReachable() ? m.getStatus() : "unreachable"))
        .toList();
    long up = status.getMembersCount() - bad.size();
    String desc = "cluster members are up (" + up + ": " + status.getMembersList().stream()
        .filter(m -> m.getStatus().equals("Up") && m.getReachable())
        .map(Member::getAddress).collect(Collectors.joining(", ")) + ")";
    if (status.getMembersCount() == 0) {
      return fail("cluster members are up", "node " + status.getSelf() + " has not joined yet",
          "check the seed nodes (trellis.control-plane.seed-nodes, --seed)");
    }
    return bad.isEmpty() ? ok(desc) : fail(desc, String.join(", ", bad),
        "an unreachable node is downed by the split brain resolver after "
            + "downing-stable-after; restart it or remove it from the seed nodes");
  }

  private List<Result> dataPlane(StatusReply status) {
    List<Result> out = new ArrayList<>();
    List<Workload> workloads = status.getWorkloadsList().stream()
        .filter(w -> namespace == null || w.getNamespace().equals(namespace)).toList();
    if (workloads.isEmpty()) {
      out.add(fail("data plane proxies exist" + (namespace == null ? "" : " in " + namespace),
          namespace == null || namespace.equals(status.getNamespace())
              ? "mesh.conf lists no workloads"
              : "namespace " + namespace + " is not the mesh's (" + status.getNamespace() + ")",
          "list workloads in mesh.conf (trellis.mesh.workloads)"));
      return out;
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).build();
    List<String> notReady = new ArrayList<>();
    for (Workload w : workloads) {
      String problem = probeReady(http, w.getAdmin());
      if (problem != null) {
        notReady.add(w.getName() + " (" + w.getAdmin() + "): " + problem);
      }
    }
    int n = workloads.size();
    out.add(notReady.isEmpty()
        ? ok("data plane proxies are ready (" + n + "/" + n + ")")
        : fail("data plane proxies are ready (" + (n - notReady.size()) + "/" + n + ")",
            String.join("; ", notReady),
            "start the proxies (trellis proxy --config mesh.conf --workload NAME "
                + "--control-plane ADDR) and see their logs"));
    Set<String> subscribed = status.getSubscribersList().stream()
        .map(Subscriber::getWorkload).collect(Collectors.toSet());
    List<String> missing = workloads.stream().map(Workload::getName)
        .filter(w -> !subscribed.contains(w)).toList();
    out.add(missing.isEmpty()
        ? ok("data plane proxies are subscribed to the control plane (" + n + "/" + n + ")")
        : fail("data plane proxies are subscribed to the control plane ("
                + (n - missing.size()) + "/" + n + ")",
            "not subscribed to " + status.getSelf() + ": " + String.join(", ", missing),
            "start them with --control-plane " + "pointing at this control plane; in a cluster, "
                + "check each node (--control-plane) or the proxy's log"));
    return out;
  }

  /** Null when {@code GET http://ADMIN/ready} answers 200, else what went wrong. */
  private static String probeReady(HttpClient http, String admin) {
    try {
      HttpResponse<String> rsp = http.send(
          HttpRequest.newBuilder(URI.create("http://" + admin + "/ready"))
              .timeout(PROBE_TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return rsp.statusCode() == 200 ? null : "/ready answered " + rsp.statusCode();
    } catch (IOException e) {
      return e.getClass().getSimpleName().replace("Exception", "")
          + (e.getMessage() == null ? "" : ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (IllegalArgumentException e) {
      return "bad admin address: " + e.getMessage();
    }
  }

  private static Result ok(String description) {
    return new Result(description, true, false, "", "");
  }

  private static Result fail(String description, String error, String hint) {
    return new Result(description, false, false, error, hint);
  }

  private static Result warn(String description, String error, String hint) {
    return new Result(description, true, true, error, hint);
  }

  /** linkerd check's text: per category a heading and a rule, √/× lines, a status line. */
  static List<String> render(List<Category> categories, boolean ok) {
    List<String> lines = new ArrayList<>();
    for (Category c : categories) {
      lines.add(c.name());
      lines.add("-".repeat(c.name().length()));
      for (Result r : c.checks()) {
        lines.add((r.warning() ? "‼ " : r.ok() ? "√ " : "× ") + r.description());
        if (!r.ok() || r.warning()) {
          lines.add("    " + r.error());
          lines.add("    hint: " + r.hint());
        }
      }
      lines.add("");
    }
    lines.add("Status check results are " + (ok ? "√" : "×"));
    return lines;
  }

  /** linkerd check -o json's shape. */
  static Map<String, Object> json(List<Category> categories, boolean ok) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("success", ok);
    List<Object> cats = new ArrayList<>();
    for (Category c : categories) {
      List<Object> checks = new ArrayList<>();
      for (Result r : c.checks()) {
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("description", r.description());
        check.put("result", r.warning() ? "warning" : r.ok() ? "success" : "error");
        if (!r.ok() || r.warning()) {
          check.put("error", r.error());
          check.put("hint", r.hint());
        }
        checks.add(check);
      }
      Map<String, Object> cat = new LinkedHashMap<>();
      cat.put("categoryName", c.name());
      cat.put("checks", checks);
      cats.add(cat);
    }
    out.put("categories", cats);
    return out;
  }
}
