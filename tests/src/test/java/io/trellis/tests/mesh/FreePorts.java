package io.trellis.tests.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Ports the kernel hands out as free on one address, all distinct. */
public final class FreePorts {
  private FreePorts() {}

  public static List<Integer> on(String host, int count) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      // Held open together, so the kernel gives {@code count} different ports.
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket();
        held.add(s);
        s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      }
      return held.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("no free ports on " + host, e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing held
        }
      }
    }
  }
}
