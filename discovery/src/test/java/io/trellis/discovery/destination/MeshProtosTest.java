package io.trellis.discovery.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import io.trellis.api.destination.HeaderMatch;
import io.trellis.config.FailureAccrual;
import io.trellis.config.Fault;
import io.trellis.config.HeaderRoute;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.config.RequestMatch;
import io.trellis.config.ServiceConfig;
import io.trellis.config.ServiceProfile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** mesh.conf's per-service settings survive MeshConfig -> destination API -> MeshConfig. */
class MeshProtosTest {

  private static final MeshProtos.IdentityDomain IDENTITY =
      new MeshProtos.IdentityDomain("linkerd", "cluster.local");

  private static MeshConfig mesh() {
    MeshConfig parsed = MeshConfigLoader.parse("""
        trellis.mesh {
          namespace = demo
          services {
            web-svc {
              port = 80
              routing = [
                { match { headers { x-canary = "true" } }, backend = web-canary }
                { match { headers { x-user = { regex = "alice|bob" }, x-a = { exact = b } } },
                  backend = web-canary }
              ]
              faults {
                "GET /api/list" { abort { percent = 10, status = 503 },
                                  delay { percent = 5, duration = 200ms } }
                "[DEFAULT]" { abort { percent = 100, status = 500, grpc-status = 13 } }
              }
              failure-accrual { consecutive-failures = 3, penalty-max = 5s, jitter = 0 }
            }
            web-canary { port = 80 }
            legacy { port = 80, endpoints = ["127.0.0.1:9000"] }
          }
          workloads {
            web { address = "127.0.0.11", app-port = 8080, serves = [web-svc] }
            canary { address = "127.0.0.14", app-port = 8080, serves = [web-canary] }
          }
        }
        """, Path.of("mesh.conf"));
    ServiceProfile profile = new ServiceProfile("web-svc.demo.svc.cluster.local", "demo", List.of(
        new ServiceProfile.Route("GET /api/vote", new RequestMatch.Method("GET"), List.of(),
            false, null,
            new Fault(null, new Fault.Delay(50, Duration.ofMillis(1500)))),
        new ServiceProfile.Route("POST", new RequestMatch.Method("POST"), List.of(), true,
            Duration.ofSeconds(1))));
    return new MeshConfig(parsed.namespace(), parsed.services(), parsed.workloads(),
        List.of(profile), List.of(), null);
  }

  private static ServiceConfig roundTrip(MeshConfig mesh, String service) {
    ServiceConfig declared = mesh.services().get(service);
    EndpointSet set = MeshProtos.endpointSet(mesh, service, IDENTITY);
    DestinationProfile profile = MeshProtos.profile(mesh, service);
    return MeshProtos.serviceConfig(service, declared.port(), set, profile);
  }

  @Test
  void serviceSettingsSurviveTheRoundTrip() {
    MeshConfig mesh = mesh();
    ServiceConfig web = mesh.services().get("web-svc");
    // The fixture really has what the test claims to carry.
    assertEquals(2, web.routing().size());
    assertEquals(Pattern.compile("alice|bob").pattern(),
        web.routing().get(1).headers().stream()
            .filter(h -> h.name().equals("x-user")).findFirst().orElseThrow().regex().pattern());
    assertEquals(2, web.faults().size());
    assertEquals(new FailureAccrual(3, null, Duration.ofSeconds(5), 0.0), web.failureAccrual());

    for (String service : mesh.services().keySet()) {
      assertEquals(mesh.services().get(service), roundTrip(mesh, service), service);
    }
  }

  @Test
  void aProfileRoutesFaultSurvivesTheRoundTrip() {
    MeshConfig mesh = mesh();
    ServiceProfile back = MeshProtos.serviceProfile(MeshProtos.profile(mesh, "web-svc"))
        .orElseThrow();
    assertEquals(mesh.profileOf("web-svc").orElseThrow(), back);
    assertEquals(new Fault(null, new Fault.Delay(50, Duration.ofMillis(1500))),
        back.routes().get(0).fault());
    assertNull(back.routes().get(1).fault());
  }

  @Test
  void aHeaderRuleOfAnUnknownMatchKindIsDroppedNotWidened() {
    DestinationProfile profile = MeshProtos.profile(mesh(), "web-svc").toBuilder()
        .setHeaderRoutes(0, io.trellis.api.destination.HeaderRoute.newBuilder()
            .setBackend("web-canary")
            .addHeaders(HeaderMatch.newBuilder().setName("x-canary")))
        .build();
    List<HeaderRoute> routing = MeshProtos.serviceConfig(
        "web-svc", 80, EndpointSet.getDefaultInstance(), profile).routing();
    assertEquals(mesh().services().get("web-svc").routing().subList(1, 2), routing);
  }

  @Test
  void noProfileYetMeansNoServiceSettings() {
    ServiceConfig c = MeshProtos.serviceConfig(
        "web-svc", 80, EndpointSet.getDefaultInstance(), null);
    assertTrue(c.routing().isEmpty());
    assertTrue(c.faults().isEmpty());
    assertNull(c.failureAccrual());
    assertEquals(Map.of(), c.faults());
  }
}
