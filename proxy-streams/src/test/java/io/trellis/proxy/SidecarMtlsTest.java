package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.api.tap.TapEvent;
import io.trellis.config.HostPort;
import io.trellis.config.ProxyPorts;
import io.trellis.config.WorkloadConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mTLS between two sidecars, and what the inbound listener does with what else arrives: plain
 * HTTP from a client that does not know the mesh, opaque TCP, and mTLS that must be refused.
 */
class SidecarMtlsTest extends SidecarTestKit {
  private final MeshPki pki = new MeshPki();

  @TempDir Path tmp;

  @Test
  void httpBetweenProxiesIsMutualTlsWithBothIdentitiesInTheMetrics() throws Exception {
    Processes.require("curl");
    mesh.service("tls-emoji", 8080);
    WorkloadConfig emoji = mesh.workload("tlsemoji", "tls-emoji");
    WorkloadConfig web = mesh.workload("tlsweb");
    app(emoji);
    Sidecar server = sidecar(emoji, pki.credentials("tlsemoji"));
    Sidecar client = sidecar(web, pki.credentials("tlsweb"));

    var curl = curl("-H", "Host: tls-emoji:8080", url(client.outboundAddress(), "/hello"));
    assertTrue(curl.out().startsWith("tlsemoji HTTP/1.1"), curl.out());

    String webId = MeshPki.identity("tlsweb").value();
    String emojiId = MeshPki.identity("tlsemoji").value();
    // The server's proxy learnt the client's identity from its certificate ...
    sample(server, "tcp_open_total",
        Map.of("direction", "inbound", "peer", "src", "tls", "true", "client_id", webId));
    assertTrue(emojiId.startsWith("tlsemoji.demo.serviceaccount.identity."), emojiId);
    // ... and the client's proxy labels the request with the identity the server proved.
    sample(client, "response_total", Map.of("direction", "outbound", "dst_service", "tls-emoji",
        "tls", "true", "server_id", emojiId));
    // ... and meters its connection to the server's proxy with it.
    sample(client, "tcp_open_total",
        Map.of("direction", "outbound", "peer", "dst", "tls", "true", "server_id", emojiId));
    sample(client, "tcp_write_bytes_total",
        Map.of("direction", "outbound", "peer", "dst", "tls", "true", "server_id", emojiId));
    // The server's proxy labels the request with the client identity its connection verified.
    Map<String, String> inboundSecured =
        Map.of("direction", "inbound", "tls", "true", "client_id", webId);
    sample(server, "request_total", inboundSecured);
    sample(server, "response_total", inboundSecured);
    // HTTP/2 over mTLS too (ALPN h2 between the proxies, spliced to the HTTP/2 server inside).
    var h2 = curl("--http2-prior-knowledge", "-H", "Host: tls-emoji:8080",
        url(client.outboundAddress(), "/h2"));
    assertTrue(h2.out().startsWith("tlsemoji HTTP/2.0"), h2.out());
    await("both inbound requests labelled with " + webId,
        () -> scrape(server).find("request_total", inboundSecured).stream()
            .filter(s -> s.value() >= 2).findFirst());
    // Tap says the same: the identities on both sides.
    TapEvent out = tap(client.tapAddress(), "/h2", 1).get(0);
    assertEquals("true", out.getTls(), out.toString());
    assertEquals(emojiId, out.getServerId(), out.toString());
    for (String path : List.of("/hello", "/h2")) {
      TapEvent in = tap(server.tapAddress(), path, 1).get(0);
      assertEquals("true", in.getTls(), in.toString());
      assertEquals(webId, in.getClientId(), in.toString());
    }
  }

  @Test
  void aServerWithAnotherIdentityIsRefusedWith502NamingBoth() throws Exception {
    Processes.require("curl");
    mesh.service("tls-spoofed", 8080);
    WorkloadConfig spoof = mesh.workload("tlsspoof", "tls-spoofed");
    WorkloadConfig web = mesh.workload("tlsweb2");
    EchoApp app = EchoApp.start(spoof.app(), null);
    started.push(app);
    // Discovery says tlsspoof's proxy is tlsspoof, but it presents a certificate for someone else.
    sidecar(spoof, pki.credentials("someone-else"));
    Sidecar client = sidecar(web, pki.credentials("tlsweb2"));

    var curl = curl("-i", "-H", "Host: tls-spoofed:8080", url(client.outboundAddress(), "/"));
    assertTrue(curl.out().startsWith("HTTP/1.1 502"), curl.out());
    assertTrue(
        curl.out().contains("the server is " + MeshPki.identity("someone-else").value()
            + ", expected " + MeshPki.identity("tlsspoof").value()),
        curl.out());
    assertEquals(0, app.accepted(), "nothing may reach the app");
  }

  @Test
  void plainHttpFromAClientOutsideTheMeshReachesTheApp() throws Exception {
    Processes.require("curl");
    WorkloadConfig emoji = mesh.workload("plainemoji");
    app(emoji);
    Sidecar server = sidecar(emoji, pki.credentials("plainemoji"));

    var curl = curl(url(server.inboundAddress(), "/plain"));
    assertTrue(curl.out().startsWith("plainemoji HTTP/1.1"), curl.out());
    var h2 = curl("--http2-prior-knowledge", url(server.inboundAddress(), "/plain"));
    assertTrue(h2.out().startsWith("plainemoji HTTP/2.0"), h2.out());
    // Plaintext although the proxy has an identity: no client_id.
    String authority = server.inboundAddress().getHostString() + ":"
        + server.inboundAddress().getPort();
    sample(server, "request_total", Map.of("direction", "inbound", "authority", authority,
        "tls", "no_identity", "no_tls_reason", "not_provided_by_remote"));
    assertEquals("no_identity", tap(server.tapAddress(), "/plain", 1).get(0).getTls());
  }

  @Test
  void opaqueTcpIsForwardedByteForByteAndMetered() throws Exception {
    WorkloadConfig echo = mesh.workload("opaqueecho");
    EchoApp app = EchoApp.start(echo.app(), null);
    started.push(app);
    Sidecar server = sidecar(echo, pki.credentials("opaqueecho"));

    byte[] sent = new byte[] {0, 1, 2, (byte) 0xff, 'h', 'i', '\n'};
    try (var socket = new java.net.Socket()) {
      socket.connect(server.inboundAddress(), 2000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(sent);
      byte[] back = socket.getInputStream().readNBytes(sent.length);
      assertEquals(java.util.Arrays.toString(sent), java.util.Arrays.toString(back));
    }
    assertEquals(1, app.accepted());
    Map<String, String> src = Map.of("direction", "inbound", "peer", "src", "tls", "no_identity",
        "no_tls_reason", "not_provided_by_remote");
    sample(server, "tcp_close_total", src);
    assertTrue(value(server, "tcp_read_bytes_total", src) >= sent.length);
    assertTrue(value(server, "tcp_write_bytes_total", src) >= sent.length);
    Map<String, String> dst = Map.of("direction", "inbound", "peer", "dst", "tls", "no_identity");
    assertTrue(value(server, "tcp_write_bytes_total", dst) >= sent.length);
  }

  @Test
  void anOpaqueWorkloadGetsHttpBytesForwardedWithoutDetection() throws Exception {
    String address = TestMesh.nextAddress();
    // app port 5432 is in the default opaque ports
    WorkloadConfig db =
        mesh.workload(new WorkloadConfig("opaquedb", address, 5432, List.of(), "opaquedb",
            ProxyPorts.defaultsFor(address)));
    EchoApp app = EchoApp.start(db.app(), null);
    started.push(app);
    Sidecar server = sidecar(db, pki.credentials("opaquedb"));
    String request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    try (var socket = new java.net.Socket()) {
      socket.connect(server.inboundAddress(), 2000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes());
      byte[] back = socket.getInputStream().readNBytes(request.length());
      assertEquals(request, new String(back), "echoed as is: no HTTP server in between");
    }
  }

  @Test
  void aServerSpeaksFirstProtocolThroughAnUpstreamListenerIsNotStalled() throws Exception {
    mesh.service("tls-smtp", 2525);
    String serverAddress = TestMesh.nextAddress();
    WorkloadConfig smtp = mesh.workload(new WorkloadConfig("tlssmtp", serverAddress, 2525,
        List.of("tls-smtp"), "tlssmtp", ProxyPorts.defaultsFor(serverAddress)));
    String clientAddress = TestMesh.nextAddress();
    WorkloadConfig client = mesh.workload(new WorkloadConfig("tlssmtpclient", clientAddress, 8080,
        List.of(), "tlssmtpclient", ProxyPorts.defaultsFor(clientAddress),
        io.trellis.config.OpaquePorts.DEFAULT, Map.of("tls-smtp", 2525)));
    EchoApp app = EchoApp.start(smtp.app(), "220 hello\n");
    started.push(app);
    Sidecar server = sidecar(smtp, pki.credentials("tlssmtp"));
    sidecar(client, pki.credentials("tlssmtpclient"));
    try (var socket = new java.net.Socket()) {
      socket.connect(new InetSocketAddress(clientAddress, 2525), 2000);
      // well under the 10 s detection timeout: the greeting must not wait for detection
      socket.setSoTimeout(5000);
      byte[] greeting = socket.getInputStream().readNBytes(10);
      assertEquals("220 hello\n", new String(greeting));
      socket.getOutputStream().write("EHLO x\n".getBytes());
      assertEquals("EHLO x\n", new String(socket.getInputStream().readNBytes(7)));
    }
    sample(server, "tcp_open_total", Map.of("direction", "inbound", "peer", "dst", "tls", "true",
        "client_id", MeshPki.identity("tlssmtpclient").value()));
  }

  String url(InetSocketAddress a, String path) {
    return "http://" + a.getHostString() + ":" + a.getPort() + path;
  }

  Processes.Result curl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "10"));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, null, 20);
  }

  PrometheusText scrape(Sidecar sidecar) {
    InetSocketAddress admin = sidecar.adminAddress();
    return PrometheusText.parse(
        body(h1(admin, org.apache.pekko.http.javadsl.model.HttpRequest.GET(
            "http://" + admin.getHostString() + "/metrics"))));
  }

  PrometheusText.Sample sample(Sidecar sidecar, String name, Map<String, String> labels)
      throws InterruptedException {
    return await(name + labels, () -> {
      List<PrometheusText.Sample> found = scrape(sidecar).find(name, labels);
      return found.stream().filter(s -> s.value() > 0).findFirst();
    });
  }

  double value(Sidecar sidecar, String name, Map<String, String> labels)
      throws InterruptedException {
    return sample(sidecar, name, labels).value();
  }
}
