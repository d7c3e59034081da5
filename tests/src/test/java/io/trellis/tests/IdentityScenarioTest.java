package io.trellis.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.cli.Main;
import io.trellis.identity.pem.Pem;
import io.trellis.tests.mesh.ControlPlaneProcess;
import io.trellis.tests.mesh.Deadline;
import io.trellis.tests.mesh.LoopbackBlock;
import io.trellis.tests.mesh.ProxyProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A proxy's identity end to end, with real processes as a user starts them: {@code trellis
 * proxy --control-plane} started before the control plane is live but not ready; once {@code
 * trellis control-plane} has created the CA and the workload's token beside mesh.conf, the proxy
 * gets its certificate and becomes ready. With 20 s leaves it renews every ~14 s, and after
 * {@code trellis identity rotate-issuer} its next certificate comes from the new issuer.
 */
class IdentityScenarioTest {
  private static final Pattern EXPIRATION =
      // every series carries the proxy's workload labels
      Pattern.compile("(?m)^identity_cert_expiration_timestamp_seconds(?:\\{[^}]*})? ([0-9.eE+]+)$");

  private final HttpClient http = HttpClient.newHttpClient();
  private ProxyProcess proxy;
  private ControlPlaneProcess controlPlane;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  @Test
  void theProxyIsReadyOnlyWithACertificateAndRenewsOntoARotatedIssuer() throws Exception {
    LoopbackBlock block = LoopbackBlock.pick(2);
    String cpHost = block.address(1);
    String web = block.address(2);
    String destination = cpHost + ":" + freePort(cpHost);
    String node = cpHost + ":" + freePort(cpHost);
    Path dir = Files.createTempDirectory(Path.of("target"), "identity-e2e-");
    Path conf = dir.resolve("mesh.conf");
    Files.writeString(conf, """
        trellis.mesh {
          namespace = demo
          services { web-svc { port = 80 } }
          workloads { web { address = "%s", app-port = 8080, serves = [web-svc] } }
        }
        trellis.control-plane { destination = "%s", node = "%s" }
        trellis.identity { leaf-lifetime = 20s }
        """.formatted(web, destination, node));
    Path logs = Path.of("target", "mesh-logs", "IdentityScenarioTest");

    proxy = ProxyProcess.start(conf, "web", web, logs,
        List.of("--control-plane", destination, "--control-plane-wait", "1s"));
    // Live, tried to get a certificate, found nothing: not ready.
    Deadline.in(Duration.ofSeconds(60)).await("proxy live and asking for a certificate",
        () -> status("/live") == 200 && proxy.logged("no certificate yet, not ready"),
        proxy::logTail);
    assertEquals(503, status("/ready"), proxy::logTail);

    controlPlane = ControlPlaneProcess.start(conf, "cp", destination, node, logs);
    controlPlane.awaitLogged("control plane ready", Duration.ofSeconds(90));
    assertTrue(controlPlane.logged("no CA was configured: created a new trust anchor"),
        controlPlane::logTail);
    proxy.awaitReady(http);
    // /metrics is refreshed once per metrics tick.
    Deadline.in(Duration.ofSeconds(10)).await("the expiration gauge is set",
        () -> expiration() > 0);
    double expiresAt = expiration();
    assertTrue(expiresAt > Instant.now().getEpochSecond()
        && expiresAt <= Instant.now().plusSeconds(25).getEpochSecond(), "expires " + expiresAt);

    // Rotate the issuer as an operator does; the node notices the files, the proxy renews.
    assertEquals(0, Main.run("identity", "rotate-issuer", "--config", conf.toString()));
    String serial = Pem.readCertificates(dir.resolve(".trellis/ca/issuer.crt")).get(0)
        .getSerialNumber().toString(16);
    controlPlane.awaitLogged("issuer with serial " + serial, Duration.ofSeconds(30));
    Deadline.in(Duration.ofSeconds(60)).await("proxy renews onto issuer " + serial,
        () -> proxy.logged("(issuer serial " + serial + ")"), proxy::logTail);
    assertEquals(200, status("/ready"));
    Deadline.in(Duration.ofSeconds(10)).await("the gauge shows the new certificate",
        () -> expiration() > expiresAt);
  }

  /** The gauge's value, 0 when not yet scraped. */
  private double expiration() {
    String text;
    try {
      text = http.send(HttpRequest.newBuilder(proxy.adminUri("/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
    Matcher m = EXPIRATION.matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return s.getLocalPort();
    }
  }

  private int status(String path) {
    return ProxyProcess.status(http, proxy.adminUri(path));
  }
}
