package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.WorkloadConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** testssl.sh (Debian) against a meshed inbound listener: only TLS 1.3 is offered. */
class TestsslInboundTest extends SidecarTestKit {
  private static final Pattern FINDING =
      Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"[^}]*?\"finding\"\\s*:\\s*\"([^\"]*)\"");

  @TempDir Path dir;

  @Test
  void onlyTls13IsOffered() throws Exception {
    Processes.require("testssl");
    WorkloadConfig w = mesh.workload("testssled");
    app(w);
    Sidecar sidecar = sidecar(w, new MeshPki().credentials("testssled"));
    InetSocketAddress at = sidecar.inboundAddress();
    Path json = dir.resolve("testssl.json");
    var run = Processes.run(List.of("testssl", "--protocols", "--quiet", "--color", "0",
        "--warnings", "off", "--jsonfile", json.toString(),
        at.getHostString() + ":" + at.getPort()), null, 300);
    assertTrue(Files.exists(json), run.out());
    Map<String, String> findings = new TreeMap<>();
    Matcher m = FINDING.matcher(Files.readString(json));
    while (m.find()) {
      findings.put(m.group(1), m.group(2));
    }
    for (String old : List.of("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2")) {
      assertTrue(findings.getOrDefault(old, "").startsWith("not offered"),
          old + ": " + findings.get(old) + " in " + findings);
    }
    System.out.println("testssl findings: " + findings);
    assertTrue(findings.getOrDefault("TLS1_3", "").startsWith("offered"), "TLS1_3: " + findings);
  }
}
