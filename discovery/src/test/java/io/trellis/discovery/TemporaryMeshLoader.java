package io.trellis.discovery;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.ServiceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * TEMPORARY stand-in for {@code io.trellis.config.MeshConfigLoader.load(Path)} (branch h-config,
 * not in main yet): namespace and services with unmeshed endpoints only. Delete it and use the
 * real loader once main has it.
 */
final class TemporaryMeshLoader {
  private TemporaryMeshLoader() {}

  static MeshConfig load(Path file) {
    try {
      Config mesh =
          ConfigFactory.parseFile(
                  file.toFile(), com.typesafe.config.ConfigParseOptions.defaults()
                      .setAllowMissing(false))
              .resolve()
              .getConfig("trellis.mesh");
      Map<String, ServiceConfig> services = new HashMap<>();
      if (mesh.hasPath("services")) {
        for (String name : mesh.getObject("services").keySet()) {
          Config s = mesh.getConfig("services." + name);
          List<HostPort> endpoints = new ArrayList<>();
          for (String e : s.getStringList("endpoints")) {
            int colon = e.lastIndexOf(':');
            endpoints.add(new HostPort(e.substring(0, colon), Integer.parseInt(e.substring(colon + 1))));
          }
          services.put(name, new ServiceConfig(name, s.getInt("port"), endpoints));
        }
      }
      return new MeshConfig(mesh.getString("namespace"), services, Map.of(), List.of(), List.of(), file);
    } catch (ConfigException | IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }
}
