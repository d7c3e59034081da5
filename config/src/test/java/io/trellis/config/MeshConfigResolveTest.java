package io.trellis.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every authority form a client may send resolves to the same service, or to nothing. */
class MeshConfigResolveTest {
  private static final MeshConfig MESH = new MeshConfig("demo",
      Map.of("web-svc", new ServiceConfig("web-svc", 80, List.of()),
          "emoji-svc", new ServiceConfig("emoji-svc", 8080, List.of())),
      Map.of());

  @ParameterizedTest
  @ValueSource(strings = {
      "web-svc", "web-svc:80", "web-svc.demo", "web-svc.demo:80",
      "web-svc.demo.svc.cluster.local", "web-svc.demo.svc.cluster.local:80",
      "web-svc.demo.svc.cluster.local.:80", "WEB-SVC.Demo.svc.cluster.local"})
  void resolvesEveryFormOfWebSvc(String authority) {
    assertEquals(Optional.of(new ServiceRef("demo", "web-svc", 80)), MESH.resolve(authority, 80));
  }

  @ParameterizedTest
  @CsvSource({"emoji-svc:8080, 80", "emoji-svc, 8080", "emoji-svc.demo.svc.cluster.local:8080, 80"})
  void usesTheDefaultPortOnlyWhenNoneIsGiven(String authority, int defaultPort) {
    assertEquals(Optional.of(new ServiceRef("demo", "emoji-svc", 8080)), MESH.resolve(authority, defaultPort));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "web-svc:81", "emoji-svc", "web-svc.other", "web-svc.other.svc.cluster.local:80",
      "nope", "example.com", "web-svc:http", "127.0.0.11:80", "[::1]:80"})
  void otherAuthoritiesAreEgress(String authority) {
    assertEquals(Optional.empty(), MESH.resolve(authority, 80));
  }

  @org.junit.jupiter.api.Test
  void canonicalAuthority() {
    assertEquals("web-svc.demo.svc.cluster.local:80", MESH.resolve("web-svc", 80).orElseThrow().authority());
  }
}
