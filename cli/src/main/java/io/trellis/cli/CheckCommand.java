package io.trellis.cli;

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
      "mesh.conf as it loaded it; with --proxy also every workload's proxy (ready on its admin",
      "address, subscribed to the control plane). Exit code 1 when a check fails."
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

  /** One check's outcome; {@code error} and {@code hint} only when it failed. */
  record Result(String description, boolean ok, String error, String hint) {}

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

    if (proxy) {
      out.add(new Category("trellis-data-plane", dataPlane(status)));
    }
    return out;
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
    return new Result(description, true, "", "");
  }

  private static Result fail(String description, String error, String hint) {
    return new Result(description, false, error, hint);
  }

  /** linkerd check's text: per category a heading and a rule, √/× lines, a status line. */
  static List<String> render(List<Category> categories, boolean ok) {
    List<String> lines = new ArrayList<>();
    for (Category c : categories) {
      lines.add(c.name());
      lines.add("-".repeat(c.name().length()));
      for (Result r : c.checks()) {
        lines.add((r.ok() ? "√ " : "× ") + r.description());
        if (!r.ok()) {
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
        check.put("result", r.ok() ? "success" : "error");
        if (!r.ok()) {
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
