package io.trellis.tests.mesh;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kills processes a test started if the test JVM itself goes down first (a crash or a
 * surefire timeout), so no proxy outlives its run holding the ports of its block.
 */
final class ProcessReaper {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "reaper"));
  }

  private ProcessReaper() {}

  static void register(Process p) {
    LIVE.add(p);
    p.onExit().thenRun(() -> LIVE.remove(p));
  }
}
