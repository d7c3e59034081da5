package io.trellis.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigException;
import io.trellis.config.MeshConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Editing mesh.conf while it is watched. Waits are bounded by deadlines, never sleeps. */
class HoconMeshSourceTest {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final long DEADLINE_S = 10;

  @TempDir Path dir;

  private final BlockingQueue<MeshConfig> snapshots = new LinkedBlockingQueue<>();
  private final BlockingQueue<RuntimeException> failures = new LinkedBlockingQueue<>();
  private HoconMeshSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  private static String mesh(String... webEndpoints) {
    return "trellis.mesh {\n  namespace = demo\n  resources = [\"profiles/web.yaml\"]\n"
        + "  services.web { port = 80, endpoints = [" + String.join(", ", quoted(webEndpoints))
        + "] }\n}\n";
  }

  private static List<String> quoted(String... values) {
    return Arrays.stream(values).map(v -> "\"" + v + "\"").toList();
  }

  private static final String PROFILE =
      "apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata:\n"
          + "  name: web.demo.svc.cluster.local\n  namespace: demo\nspec:\n  routes:\n"
          + "  - name: %s\n    condition:\n      method: GET\n      pathRegex: /%s\n";

  private Path profile(String route) throws Exception {
    Path profiles = Files.createDirectories(dir.resolve("profiles"));
    return Files.writeString(profiles.resolve("web.yaml"), String.format(PROFILE, route, route));
  }

  @BeforeEach
  void profile() throws Exception {
    profile("list");
  }

  private Path write(String text) throws Exception {
    Path file = dir.resolve("mesh.conf");
    Files.writeString(file, text);
    return file;
  }

  private HoconMeshSource start(Path file, HoconMeshSource.Loader loader) throws Exception {
    source = HoconMeshSource.start(file, POLL, loader);
    source.subscribeFailures(failures::add);
    source.subscribe(snapshots::add);
    return source;
  }

  private static List<HostPort> web(MeshConfig mesh) {
    return mesh.services().get("web").endpoints();
  }

  private MeshConfig next() throws InterruptedException {
    MeshConfig mesh = snapshots.poll(DEADLINE_S, TimeUnit.SECONDS);
    assertNotNull(mesh, "no snapshot within " + DEADLINE_S + " s");
    return mesh;
  }

  @Test
  void anEditIsPublished() throws Exception {
    Path file = write(mesh("10.0.0.1:8080"));
    start(file, MeshConfigLoader::load);
    assertEquals(List.of(new HostPort("10.0.0.1", 8080)), web(next()));

    write(mesh("10.0.0.1:8080", "10.0.0.2:8080"));
    MeshConfig edited = next();
    assertEquals(List.of(new HostPort("10.0.0.1", 8080), new HostPort("10.0.0.2", 8080)), web(edited));
    assertSame(edited, source.current());
  }

  @Test
  void anInvalidEditKeepsTheLastValidSnapshot() throws Exception {
    Path file = write(mesh("10.0.0.1:8080"));
    start(file, MeshConfigLoader::load);
    MeshConfig valid = next();

    write("trellis.mesh { namespace = demo, services.web { port = 80, endpoints = [\"nope\"");
    RuntimeException failure = failures.poll(DEADLINE_S, TimeUnit.SECONDS);
    assertNotNull(failure, "the invalid edit was not reported");
    assertInstanceOf(MeshConfigException.class, failure);
    assertTrue(failure.getMessage().contains("mesh.conf"), failure.getMessage());
    assertSame(valid, source.current());
    assertTrue(source.lastFailure().isPresent());
    assertNull(snapshots.poll(), "nothing published for an invalid edit");

    write(mesh("10.0.0.3:8080"));
    assertEquals(List.of(new HostPort("10.0.0.3", 8080)), web(next()));
    assertTrue(source.lastFailure().isEmpty());
  }

  @Test
  void anEditThatKeepsTheModificationTimeIsStillSeen() throws Exception {
    Path file = write(mesh("10.0.0.1:8080"));
    FileTime before = Files.getLastModifiedTime(file);
    start(file, MeshConfigLoader::load);
    next();

    write(mesh("10.0.0.9:8080")); // same length, same mtime: only the checksum differs
    Files.setLastModifiedTime(file, before);
    assertEquals(List.of(new HostPort("10.0.0.9", 8080)), web(next()));
  }

  @Test
  void editingAListedResourceReloads() throws Exception {
    Path file = write(mesh("10.0.0.1:8080"));
    start(file, MeshConfigLoader::load);
    assertEquals(1, next().profiles().size());

    profile("detail");
    MeshConfig edited = next();
    assertEquals(1, edited.profiles().size());
    assertEquals(edited, source.current());
  }

  @Test
  void anInvalidResourceKeepsTheLastValidSnapshot() throws Exception {
    Path file = write(mesh("10.0.0.1:8080"));
    start(file, MeshConfigLoader::load);
    MeshConfig valid = next();

    Files.writeString(dir.resolve("profiles/web.yaml"), "kind: ServiceProfile\nspec: [");
    RuntimeException failure = failures.poll(DEADLINE_S, TimeUnit.SECONDS);
    assertNotNull(failure, "the invalid edit was not reported");
    assertTrue(failure.getMessage().contains("web.yaml"), failure.getMessage());
    assertSame(valid, source.current());
  }

  @Test
  void anInvalidInitialFileFailsTheStart() throws Exception {
    Path file = write("trellis.mesh { namespace = ");
    assertThrows(MeshConfigException.class,
        () -> HoconMeshSource.start(file, POLL, MeshConfigLoader::load));
  }
}
