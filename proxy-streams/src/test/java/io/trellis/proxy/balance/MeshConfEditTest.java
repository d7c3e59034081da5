package io.trellis.proxy.balance;

import static io.trellis.proxy.balance.MutableMeshUpdates.addresses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.trellis.config.HostPort;
import io.trellis.config.ServiceRef;
import io.trellis.discovery.HoconMeshSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Editing mesh.conf while the proxy runs: the endpoint change reaches the published set, an
 * invalid edit changes nothing, and requests in flight to a removed endpoint finish normally.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeshConfEditTest {

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @TempDir Path dir;

  private Path write(String... endpoints) throws Exception {
    String list = String.join(", ", Arrays.stream(endpoints).map(e -> "\"" + e + "\"").toList());
    return Files.writeString(dir.resolve("mesh.conf"),
        "trellis.mesh {\n  namespace = demo\n  services.web { port = 80, endpoints = [" + list
            + "] }\n}\n");
  }

  private void awaitPublished(Destination destination, List<HostPort> expected) {
    testKit.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(expected,
          destination.current().endpoints().stream().map(h -> h.endpoint().address()).toList());
      return null;
    });
  }

  @Test
  void anEditAppliesWithoutFailingRequestsInFlight() throws Exception {
    Path file = write("10.0.9.1:8080", "10.0.9.2:8080");
    try (HoconMeshSource source = HoconMeshSource.start(file, Duration.ofMillis(200))) {
      BlockingQueue<RuntimeException> failures = new LinkedBlockingQueue<>();
      source.subscribeFailures(failures::add);
      ActorDestinations destinations =
          ActorDestinations.start(testKit.system(), source, BalanceSettings.defaults());
      ServiceRef web = source.current().resolve("web.demo:80", 80).orElseThrow();
      Destination destination = destinations.destination(web);
      awaitPublished(destination, addresses("10.0.9.1", "10.0.9.2"));

      EndpointHandle leaving = destination.current().endpoints().get(0);
      EndpointHandle.Dispatch inFlight = leaving.dispatch(System.nanoTime());

      // An invalid edit is reported and changes nothing.
      Files.writeString(file, "trellis.mesh { services.web { port = 80, endpoints = [");
      assertNotNull(failures.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      awaitPublished(destination, addresses("10.0.9.1", "10.0.9.2"));

      write("10.0.9.2:8080", "10.0.9.3:8080");
      awaitPublished(destination, addresses("10.0.9.2", "10.0.9.3"));

      inFlight.complete(System.nanoTime(), false);
      assertEquals(0, ((MeteredEndpoint) leaving).pending());
      testKit.createTestProbe().expectTerminated(
          ((EndpointActor.ActorSignals) ((MeteredEndpoint) leaving).signals()).actor(), DEADLINE);
    }
  }
}
