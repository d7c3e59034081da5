package io.trellis.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.config.OpaquePorts;
import io.trellis.config.ProxyPorts;
import io.trellis.config.WorkloadConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Redis server and client (Debian's redis-server and redis-tools) through two meshed
 * proxies: redis-cli talks to its workload's upstream listener (mesh.conf {@code upstreams {
 * cache = 6379 }}), which carries the connection as opaque TCP over mTLS to the cache workload's
 * inbound, which forwards it to redis-server.
 */
class RedisOverMtlsTest extends SidecarTestKit {
  private final MeshPki pki = new MeshPki();

  @TempDir Path dir;

  @Test
  void setAndGetRoundTripThroughTwoProxiesOverMtls() throws Exception {
    Processes.require("redis-server");
    Processes.require("redis-cli");
    mesh.service("cache", 6379);
    String serverAddress = TestMesh.nextAddress();
    WorkloadConfig cache = mesh.workload(new WorkloadConfig("rediscache", serverAddress, 6379,
        List.of("cache"), "rediscache", ProxyPorts.defaultsFor(serverAddress)));
    String clientAddress = TestMesh.nextAddress();
    WorkloadConfig web = mesh.workload(new WorkloadConfig("redisweb", clientAddress, 8080,
        List.of(), "redisweb", ProxyPorts.defaultsFor(clientAddress), OpaquePorts.DEFAULT,
        Map.of("cache", 6379)));

    Process redis = new ProcessBuilder("redis-server", "--bind", serverAddress, "--port", "6379",
        "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile())
        .start();
    started.push(redis::destroy);
    await("redis-server up", () -> {
      try {
        var pong = Processes.run(List.of("redis-cli", "-h", serverAddress, "-p", "6379", "PING"),
            null, 10);
        return pong.out().trim().equals("PONG") ? Optional.of(true) : Optional.empty();
      } catch (Exception e) {
        return Optional.empty();
      }
    });

    Sidecar server = sidecar(cache, pki.credentials("rediscache"));
    sidecar(web, pki.credentials("redisweb"));

    List<String> cli = List.of("redis-cli", "-h", clientAddress, "-p", "6379");
    assertEquals("OK", redisCli(cli, "SET", "greeting", "hello over mTLS"));
    assertEquals("hello over mTLS", redisCli(cli, "GET", "greeting"));
    // several commands on one connection
    var pipeline = Processes.run(cli, "INCR n\nINCR n\nGET n\n", 20);
    assertEquals("1\n2\n2", pipeline.out().trim(), pipeline.out());

    // The server's proxy saw mTLS from the client's identity and forwarded it to redis.
    var text = await("tls metrics", () -> {
      var found = PrometheusText.parse(body(h1(server.adminAddress(),
          org.apache.pekko.http.javadsl.model.HttpRequest.GET("http://"
              + server.adminAddress().getHostString() + "/metrics"))))
          .find("tcp_close_total", Map.of("direction", "inbound", "peer", "dst", "tls", "true",
              "client_id", MeshPki.identity("redisweb").value()));
      return found.stream().filter(s -> s.value() >= 3).findFirst();
    });
    assertEquals(MeshPki.identity("redisweb").value(), text.labels().get("client_id"));
  }

  private static String redisCli(List<String> cli, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(cli);
    cmd.addAll(List.of(args));
    var r = Processes.run(cmd, null, 20);
    assertEquals(0, r.exit(), r.out());
    return r.out().trim();
  }
}
