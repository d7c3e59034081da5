package io.trellis.actors;

import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigLoader;
import io.trellis.discovery.MeshUpdates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Meshes for control-plane tests, written as mesh.conf text so they read like the real thing. */
public final class TestMeshes {
  private TestMeshes() {}

  /** web-svc served by workload web (127.0.0.11); emoji-svc by emoji; legacy unmeshed. */
  public static String meshConf(String extraWebWorkload) {
    return """
        trellis.mesh {
          namespace = demo
          services {
            web-svc { port = 80 }
            emoji-svc { port = 8080 }
            voting-svc { port = 8080 }
            legacy { port = 80, endpoints = ["127.0.0.1:9000"] }
          }
          workloads {
            web { address = "127.0.0.11", app-port = 8080, serves = [web-svc] }
            emoji { address = "127.0.0.12", app-port = 8080, serves = [emoji-svc] }
            voting { address = "127.0.0.13", app-port = 8080, serves = [voting-svc] }
            %s
          }
        }
        """.formatted(extraWebWorkload);
  }

  public static MeshConfig mesh(String extraWebWorkload) {
    return MeshConfigLoader.parse(meshConf(extraWebWorkload), Path.of("mesh.conf"));
  }

  /** The base mesh plus {@code n} more workloads serving web-svc (127.0.1.1, 127.0.1.2, ...). */
  public static MeshConfig withExtraWeb(int n) {
    StringBuilder extra = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      extra.append("web").append(i).append(" { address = \"127.0.1.").append(i)
          .append("\", app-port = 8080, serves = [web-svc] }\n");
    }
    return mesh(extra.toString());
  }

  /** A free TCP port on loopback (closed again; tests use it at once). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A discovery source the test sets by hand. */
  public static final class MutableMesh implements MeshUpdates {
    private final List<Consumer<MeshConfig>> listeners = new CopyOnWriteArrayList<>();
    private volatile MeshConfig current;

    public MutableMesh(MeshConfig initial) {
      this.current = initial;
    }

    public synchronized void set(MeshConfig mesh) {
      current = mesh;
      listeners.forEach(l -> l.accept(mesh));
    }

    @Override
    public MeshConfig current() {
      return current;
    }

    @Override
    public synchronized void subscribe(Consumer<MeshConfig> listener) {
      listeners.add(listener);
      listener.accept(current);
    }
  }
}
