package io.trellis.identity.token;

import static io.trellis.identity.Fixtures.EMOJI;
import static io.trellis.identity.Fixtures.WEB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadTokensTest {

  @TempDir Path state;

  /** web-canary shares web's service account, hence its identity (as in examples/mesh.conf). */
  private final Map<String, io.trellis.identity.IdentityName> workloads = new LinkedHashMap<>(Map.of(
      "web", WEB, "web-canary", WEB, "emoji", EMOJI));

  @Test
  void tokensAreGeneratedOnceWithOwnerOnlyPermissions() throws Exception {
    WorkloadTokens tokens = WorkloadTokens.ensure(state, workloads);
    assertEquals(3, tokens.created().size());
    assertEquals("rwx------", perms(state.resolve("tokens")));
    for (String workload : workloads.keySet()) {
      Path file = state.resolve("tokens/" + workload + ".token");
      assertEquals("rw-------", perms(file));
      String token = WorkloadTokens.read(state, workload);
      assertTrue(token.matches("[A-Za-z0-9_-]{43}"), "256 bits of base64url: " + token);
    }
    String web = WorkloadTokens.read(state, "web");
    WorkloadTokens again = WorkloadTokens.ensure(state, workloads);
    assertEquals(List.of(), again.created());
    assertEquals(web, WorkloadTokens.read(state, "web"), "a restart keeps the tokens");
    assertNotEquals(web, WorkloadTokens.read(state, "web-canary"));
  }

  @Test
  void aTokenProvesItsWorkloadsIdentity() throws Exception {
    WorkloadTokens tokens = WorkloadTokens.ensure(state, workloads);
    assertEquals(WEB, tokens.validate(WorkloadTokens.read(state, "web")));
    assertEquals(WEB, tokens.validate(WorkloadTokens.read(state, "web-canary")));
    assertEquals(EMOJI, tokens.validate(WorkloadTokens.read(state, "emoji") + "\n"));
  }

  @Test
  void unknownOrEmptyTokensProveNothing() throws Exception {
    WorkloadTokens tokens = WorkloadTokens.ensure(state, workloads);
    var unknown = assertThrows(TokenException.class, () -> tokens.validate(WorkloadTokens.generate()));
    assertEquals(TokenException.Reason.INVALID, unknown.reason());
    assertEquals(TokenException.Reason.INVALID,
        assertThrows(TokenException.class, () -> tokens.validate("")).reason());
    assertEquals(TokenException.Reason.INVALID,
        assertThrows(TokenException.class, () -> tokens.validate(null)).reason());
  }

  @Test
  void tokensOfRemovedWorkloadsProveNothing() throws Exception {
    WorkloadTokens.ensure(state, workloads);
    String emoji = WorkloadTokens.read(state, "emoji");
    WorkloadTokens fewer = WorkloadTokens.ensure(state, Map.of("web", WEB));
    assertThrows(TokenException.class, () -> fewer.validate(emoji));
  }

  @Test
  void aProxyWithoutATokenIsToldWhy() {
    var e = assertThrows(IOException.class, () -> WorkloadTokens.read(state, "web"));
    assertTrue(e.getMessage().contains("no token for workload 'web' at " + state.resolve("tokens/web.token")), e.getMessage());
  }

  @Test
  void aTokenReadableByOthersIsRefused() throws Exception {
    WorkloadTokens.ensure(state, workloads);
    Path file = state.resolve("tokens/web.token");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    var e = assertThrows(IOException.class, () -> WorkloadTokens.read(state, "web"));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void workloadNamesCannotEscapeTheDirectory() {
    assertThrows(IllegalArgumentException.class, () -> WorkloadTokens.file(state, "../ca/issuer"));
    assertThrows(IllegalArgumentException.class,
        () -> WorkloadTokens.ensure(state, Map.of("a/b", WEB)));
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void nodesCreatingTokensAtOnceAllEndUpWithTheOneOnDisk() throws Exception {
    // Control-plane nodes sharing a state directory start together.
    int nodes = 8;
    var pool = java.util.concurrent.Executors.newFixedThreadPool(nodes);
    try {
      var start = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<WorkloadTokens>> made = new java.util.ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        made.add(pool.submit(() -> {
          start.await();
          return WorkloadTokens.ensure(state, Map.of("web", WEB));
        }));
      }
      start.countDown();
      String onDisk = null;
      int creators = 0;
      for (var f : made) {
        WorkloadTokens tokens = f.get();
        creators += tokens.created().size();
        onDisk = onDisk == null ? WorkloadTokens.read(state, "web") : onDisk;
        assertEquals(WEB, tokens.validate(onDisk));
      }
      assertEquals(1, creators, "exactly one node created the token");
    } finally {
      pool.shutdownNow();
    }
  }
}
