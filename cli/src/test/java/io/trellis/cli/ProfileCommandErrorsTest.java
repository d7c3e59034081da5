package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.cli.profile.ObservedRequests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code trellis profile} gets one line naming the file, line and key at fault, exit
 * code 2, and nothing on stdout; usage errors get picocli's message and usage, also exit 2.
 */
class ProfileCommandErrorsTest {
  @TempDir Path dir;

  /** Runs with {@code file} (written into the temp dir) and returns the error line. */
  private String fails(String option, String file, String text) throws IOException {
    Files.writeString(dir.resolve(file), text);
    ProfileRun.Result r = ProfileRun.run("web-svc", option, dir.resolve(file).toString());
    assertEquals(2, r.code(), r.err());
    assertEquals("", r.out());
    String prefix = "trellis profile: " + dir.resolve(file);
    assertTrue(r.err().startsWith(prefix), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    return file + r.err().strip().substring(prefix.length());
  }

  private String openApi(String file, String text) throws IOException {
    return fails("--open-api", file, text);
  }

  private String proto(String text) throws IOException {
    return fails("--proto", "api.proto", text);
  }

  @Test
  void openApiPathItemNotAnObject() throws IOException {
    assertEquals("api.yaml:4: paths./books/{id}: expected an object, got an array",
        openApi("api.yaml", """
            swagger: "2.0"
            paths:
              /books/{id}:
              - get
            """));
  }

  @Test
  void openApiOperationNotAnObject() throws IOException {
    assertEquals("api.json:1: paths./books.get: expected an object, got the string \"list\"",
        openApi("api.json", "{\"openapi\": \"3.0.0\", \"paths\": {\"/books\": {\"get\": \"list\"}}}"));
  }

  @Test
  void openApiBadVendorExtensions() throws IOException {
    assertEquals("api.yaml:5: paths./a.get.x-linkerd-timeout: expected a duration such as"
            + " \"300ms\", \"10s\", \"1m30s\" or \"1h\", got \"10 seconds\"",
        openApi("api.yaml", """
            openapi: 3.0.0
            paths:
              /a:
                get:
                  x-linkerd-timeout: 10 seconds
            """));
    assertEquals("api.yaml:6: paths./a.post.x-linkerd-retryable: expected true or false,"
            + " got the string \"always\"",
        openApi("api.yaml", """
            openapi: 3.0.0
            paths:
              /a:
                get: {}
                post:
                  x-linkerd-retryable: always
            """));
  }

  @Test
  void openApiPathWithoutSlash() throws IOException {
    assertEquals("api.yaml:3: paths.books: a path must start with \"/\"",
        openApi("api.yaml", """
            swagger: "2.0"
            paths:
              books: {get: {}}
            """));
  }

  @Test
  void notAnOpenApiSpec() throws IOException {
    assertEquals("api.yaml: not an OpenAPI spec: expected a \"swagger: \\\"2.0\\\"\" or"
            + " \"openapi: 3.x\" field",
        openApi("api.yaml", "paths: {}\n"));
    assertEquals("api.yaml:1: swagger: unsupported version \"1.2\"; expected \"2.0\""
            + " (or openapi: 3.x)",
        openApi("api.yaml", "swagger: \"1.2\"\npaths: {}\n"));
    assertEquals("api.yaml:1: expected an object, got an array",
        openApi("api.yaml", "- swagger\n"));
    assertEquals("api.yaml: empty file; expected an OpenAPI spec", openApi("api.yaml", "\n"));
  }

  @Test
  void openApiMissingPaths() throws IOException {
    assertEquals("api.yaml:1: paths: missing; an OpenAPI spec lists its operations under"
            + " \"paths\"",
        openApi("api.yaml", "openapi: 3.1.0\ninfo: {title: x}\n"));
  }

  @Test
  void openApiDuplicateKey() throws IOException {
    assertEquals("api.yaml:5: paths./a: duplicate key; first set on line 3",
        openApi("api.yaml", """
            openapi: 3.0.0
            paths:
              /a:
                get: {}
              /a:
                post: {}
            """));
  }

  @Test
  void malformedJson() throws IOException {
    assertEquals("api.json:3: malformed JSON/YAML: while parsing a flow mapping: expected ','"
            + " or '}', but got <scalar>",
        openApi("api.json", "{\"swagger\": \"2.0\",\n \"paths\": {}\n \"info\": {}}\n"));
  }

  @Test
  void protoRpcWithoutParentheses() throws IOException {
    assertEquals("api.proto:3: rpc A: expected \"(\", got \"Y\"", proto("""
        syntax = "proto3";
        service S {
          rpc A(X) returns Y;
        }
        """));
  }

  @Test
  void protoUnclosedService() throws IOException {
    assertEquals("api.proto:3: service S: missing \"}\" (opened on line 2)", proto("""
        package p;
        service S {
          rpc A(X) returns (Y);
        """));
  }

  @Test
  void protoUnterminatedCommentAndString() throws IOException {
    assertEquals("api.proto:2: unterminated comment", proto("""
        package p;
        /* service S {
        """));
    assertEquals("api.proto:1: unterminated string", proto("option x = \"abc;\n"));
  }

  @Test
  void protoWithoutRpcs() throws IOException {
    assertEquals("api.proto: no rpc found; expected a service with at least one rpc", proto("""
        syntax = "proto3";
        message M { string s = 1; }
        service Empty {}
        """));
  }

  @Test
  void protoDuplicatesAndStrayTokens() throws IOException {
    assertEquals("api.proto:4: rpc S.A is already defined on line 3", proto("""
        package p;
        service S {
          rpc A(X) returns (Y);
          rpc A(X) returns (Y);
        }
        """));
    assertEquals("api.proto:3: service S: expected \"rpc\", \"option\" or \"}\", got \"message\"",
        proto("""
        package p;
        service S {
          message M {}
        }
        """));
    assertEquals("api.proto:2: a second package statement (the first is on line 1)",
        proto("package p;\npackage q;\nservice S { rpc A(X) returns (Y); }\n"));
  }

  @Test
  void missingFile() {
    ProfileRun.Result r = ProfileRun.run("web-svc", "--proto", dir.resolve("nope.proto").toString());
    assertEquals(2, r.code());
    assertEquals("trellis profile: " + dir.resolve("nope.proto") + ": no such file\n", r.err());
  }

  @Test
  void usageErrors() {
    assertUsage("Missing required argument (specify one of these): (--template | --open-api=FILE"
        + " | --proto=FILE | --tap=deploy/NAME)", "web-svc");
    assertUsage("--template, --proto=FILE are mutually exclusive (specify only one)",
        "web-svc", "--template", "--proto", "x.proto");
    assertUsage("-o: expected yaml or json, got \"xml\"", "web-svc", "--template", "-o", "xml");
    assertUsage("SERVICE: \"Web_svc\" is not a valid name: use at most 63 lowercase letters,"
        + " digits and '-', starting with a letter and ending with a letter or digit",
        "Web_svc", "--template");
    assertUsage("--namespace: \"Emoji Voto\" is not a valid namespace: use at most 63 lowercase"
        + " letters, digits and '-', starting and ending with a letter or digit",
        "web-svc", "-n", "Emoji Voto", "--template");
    assertUsage("--tap: expected deploy/NAME, got \"web\"", "web-svc", "--tap", "web");
    assertUsage("--tap: expected deploy/NAME, got \"pod/web-1\"", "web-svc", "--tap", "pod/web-1");
    assertUsage("--tap-duration: expected a duration such as \"300ms\", \"10s\", \"1m30s\" or"
        + " \"1h\", got \"10\"", "web-svc", "--tap", "deploy/web", "--tap-duration", "10");
    assertUsage("--tap-route-limit: must be at least 1, got 0",
        "web-svc", "--tap", "deploy/web", "--tap-route-limit", "0");
  }

  private static void assertUsage(String message, String... args) {
    ProfileRun.Result r = ProfileRun.runWithTap((w, n, d) -> List.of(), args);
    assertEquals(2, r.code(), r.err());
    assertEquals("", r.out());
    String first = r.err().lines().findFirst().orElse("");
    assertEquals(message, first.startsWith("Error: ") ? first.substring(7) : first);
    assertTrue(r.err().contains("Usage: "), r.err());
  }

  @Test
  void tapWithAnUnreachableControlPlaneExits1NamingIt() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    ProfileRun.Result r = ProfileRun.run("web-svc", "-n", "emojivoto", "--tap", "deploy/web",
        "--tap-duration", "10s", "--control-plane", "127.0.0.1:" + port);
    assertEquals(1, r.code(), r.err());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("trellis profile: control plane 127.0.0.1:" + port + ": "), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
  }

  @Test
  void tapFailureFromTheSource() {
    ObservedRequests broken = (w, n, d) -> {
      throw new ObservedRequests.TapUnavailableException(
          "tap: control plane 127.0.0.1:8086: connection refused");
    };
    ProfileRun.Result r = ProfileRun.runWithTap(broken, "web-svc", "--tap", "deploy/web");
    assertEquals(1, r.code());
    assertEquals("trellis profile: tap: control plane 127.0.0.1:8086: connection refused\n",
        r.err());
  }
}
