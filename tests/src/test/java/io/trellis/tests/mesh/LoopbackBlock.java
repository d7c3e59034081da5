package io.trellis.tests.mesh;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A /24 of the loopback range picked at random for one test class: 127.X.Y.0 with X in
 * 100..200. Each workload gets its own address in it, so every proxy can listen on Linkerd's
 * standard ports (4140/4143/4191) while other classes, forks or developers run beside it.
 */
public record LoopbackBlock(int x, int y) {
  private static final int[] PROBED_PORTS = {4140, 4143, 4191, 8080};

  /** Picks a block whose first {@code hosts} addresses have the standard ports free. */
  public static LoopbackBlock pick(int hosts) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 50; attempt++) {
      LoopbackBlock block = new LoopbackBlock(100 + random.nextInt(101), random.nextInt(256));
      if (block.free(hosts)) {
        return block;
      }
    }
    throw new IllegalStateException("no free loopback block after 50 tries");
  }

  /** The n-th address of the block, n in 1..254. */
  public String address(int n) {
    if (n < 1 || n > 254) {
      throw new IllegalArgumentException("host number out of 1..254: " + n);
    }
    return "127." + x + "." + y + "." + n;
  }

  private boolean free(int hosts) {
    for (int n = 1; n <= hosts; n++) {
      for (int port : PROBED_PORTS) {
        try (ServerSocket probe = new ServerSocket()) {
          probe.bind(new InetSocketAddress(InetAddress.getByName(address(n)), port));
        } catch (IOException busy) {
          return false;
        }
      }
    }
    return true;
  }
}
