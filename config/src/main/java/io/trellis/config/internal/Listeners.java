package io.trellis.config.internal;

import io.trellis.config.HostPort;
import io.trellis.config.MeshConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every socket the mesh binds or sends to, so that two listeners never claim the same address:port.
 * A wildcard (0.0.0.0, ::) claims its port on every address.
 */
final class Listeners {
  /** Who claimed a socket, for the "already used by" half of the message. */
  record Claim(HostPort address, String keyPath, Path file, int line) {
    String where() {
      return keyPath + " (" + file.getFileName() + (line > 0 ? ":" + line : "") + ")";
    }
  }

  private final Map<Integer, List<Claim>> byPort = new HashMap<>();

  /** Records {@code claim}, or fails naming it and the claim it collides with. */
  void claim(Claim claim) {
    check(claim);
    byPort.computeIfAbsent(claim.address().port(), p -> new ArrayList<>()).add(claim);
  }

  /** Fails if {@code claim} collides with a recorded claim, without recording it. */
  void check(Claim claim) {
    List<Claim> samePort = byPort.getOrDefault(claim.address().port(), List.of());
    String key = Addresses.socketKey(claim.address());
    boolean wildcard = Addresses.isWildcard(claim.address().host());
    for (Claim other : samePort) {
      if (wildcard
          || Addresses.isWildcard(other.address().host())
          || Addresses.socketKey(other.address()).equals(key)) {
        throw new MeshConfigException(
            claim.file(),
            claim.line(),
            claim.keyPath(),
            claim.address()
                + " is already used by "
                + other.where()
                + "; every listener in the mesh needs its own address:port");
      }
    }
  }
}
