package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.cli.profile.ObservedRequests;
import io.trellis.config.ServiceProfile;
import io.trellis.config.ServiceProfile.Route;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trellis profile} prints exactly the golden ServiceProfiles (cli/src/test/resources/
 * io/trellis/cli/profile/golden; regenerate with -Dtrellis.golden.update=true and review the diff),
 * and each loads back through the config loader and routes requests as the source describes.
 */
class ProfileCommandGoldenTest {
  private static final Path RESOURCES = Path.of("src/test/resources/io/trellis/cli/profile");
  private static final Path DEMO_PROTOS = Path.of("../demo/src/main/proto");

  @TempDir Path dir;

  private ServiceProfile golden(String goldenName, String ns, String svc, String... args)
      throws IOException {
    ProfileRun.Result r = ProfileRun.run(args);
    return check(r, goldenName, ns, svc);
  }

  private ServiceProfile check(ProfileRun.Result r, String goldenName, String ns, String svc)
      throws IOException {
    assertEquals("", r.err());
    assertEquals(0, r.code());
    Path golden = RESOURCES.resolve("golden").resolve(goldenName);
    if (Boolean.getBoolean("trellis.golden.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, r.out());
    }
    assertEquals(Files.readString(golden), r.out(), "differs from " + golden);
    return ProfileRun.loadBack(dir, ns, svc, r.out());
  }

  private static String routeOf(ServiceProfile p, String method, String path) {
    return p.routeFor(method, path).map(Route::name).orElse("[DEFAULT]");
  }

  private static Route route(ServiceProfile p, String name) {
    Optional<Route> r = p.routes().stream().filter(x -> x.name().equals(name)).findFirst();
    assertTrue(r.isPresent(), name + " in " + p.routes());
    return r.get();
  }

  @Test
  void templateLoadsBackWithTheDefaultBudget() throws IOException {
    ServiceProfile p = golden("template.yaml", "emojivoto", "web-svc",
        "web-svc", "-n", "emojivoto", "--template");
    assertEquals("web-svc.emojivoto.svc.cluster.local", p.name());
    assertEquals(ServiceProfile.RetryBudget.DEFAULT, p.retryBudget());
    Route r = route(p, "GET /authors/{id}");
    assertEquals("GET /authors/{id}", routeOf(p, "GET", "/authors/7"));
    assertEquals("[DEFAULT]", routeOf(p, "POST", "/authors/7"));
    assertTrue(r.isFailure(503));
    assertFalse(r.retryable()); // commented out: the user opts in
    assertNull(r.timeout());
  }

  @Test
  void templateAsJsonIsTheSameProfile() throws IOException {
    ServiceProfile json = golden("template.json", "emojivoto", "web-svc",
        "web-svc", "-n", "emojivoto", "--template", "-o", "json");
    ServiceProfile yaml = ProfileRun.loadBack(dir, "emojivoto", "web-svc",
        ProfileRun.run("web-svc", "-n", "emojivoto", "--template").out());
    assertEquals(yaml, json);
  }

  @Test
  void swagger2JsonWithTabsAndVendorExtensions() throws IOException {
    ServiceProfile p = golden("books-swagger2.yaml", "library", "books",
        "books", "-n", "library", "--open-api", RESOURCES.resolve("books-swagger2.json").toString());
    assertEquals(9, p.routes().size());
    assertEquals("GET /books/{id}", routeOf(p, "GET", "/books/42"));
    assertEquals("DELETE /books/{id}", routeOf(p, "DELETE", "/books/42"));
    assertEquals("GET /books", routeOf(p, "GET", "/books?page=2"));
    assertEquals("GET /books/{id}/cover.png", routeOf(p, "GET", "/books/42/cover.png"));
    assertEquals("[DEFAULT]", routeOf(p, "GET", "/books/42/coverXpng")); // the dot is literal
    assertEquals("GET /authors/{author_id}/books", routeOf(p, "GET", "/authors/ann/books"));
    Route get = route(p, "GET /books/{id}");
    assertTrue(get.retryable());
    assertEquals(Duration.ofMillis(300), get.timeout());
    Route post = route(p, "POST /books");
    assertFalse(post.retryable());
    assertEquals(Duration.ofSeconds(2), post.timeout());
    assertTrue(post.isFailure(500));
    assertFalse(post.isFailure(400));
    assertFalse(route(p, "GET /authors/{author_id}/books").retryable());
  }

  @Test
  void openApi3YamlOfTheEmojivotoWebApi() throws IOException {
    ServiceProfile p = golden("emojivoto-web-openapi3.yaml", "emojivoto", "web-svc",
        "web-svc", "-n", "emojivoto", "--open-api",
        RESOURCES.resolve("emojivoto-web-openapi3.yaml").toString());
    assertEquals(List.of("GET /api/leaderboard", "GET /api/list", "GET /api/vote",
        "GET /js/{file}.js"), p.routes().stream().map(Route::name).toList());
    assertEquals("GET /api/vote", routeOf(p, "GET", "/api/vote?choice=:doughnut:"));
    assertEquals("GET /js/{file}.js", routeOf(p, "GET", "/js/app.js"));
    Route vote = route(p, "GET /api/vote");
    assertEquals(Duration.ofSeconds(1), vote.timeout());
    assertTrue(vote.isFailure(502)); // 5XX documented as a range
    assertTrue(route(p, "GET /api/leaderboard").retryable());
  }

  @Test
  void openApi3ServerPathIsTheBasePath() throws IOException {
    ServiceProfile p = golden("versioned-openapi3.yaml", "default", "items",
        "items", "--open-api", RESOURCES.resolve("versioned-openapi3.json").toString());
    assertEquals("PATCH /v1.0/items/{item-id}", routeOf(p, "PATCH", "/v1.0/items/x"));
    assertEquals("[DEFAULT]", routeOf(p, "PATCH", "/v1x0/items/x"));
    assertEquals("OPTIONS /v1.0/items", routeOf(p, "OPTIONS", "/v1.0/items"));
  }

  @Test
  void openApiAsJson() throws IOException {
    ServiceProfile p = golden("emojivoto-web-openapi3.json", "emojivoto", "web-svc",
        "web-svc", "-n", "emojivoto", "-o", "json", "--open-api",
        RESOURCES.resolve("emojivoto-web-openapi3.yaml").toString());
    assertEquals(4, p.routes().size());
  }

  @Test
  void theDemosProtos() throws IOException {
    ServiceProfile emoji = golden("emoji-proto.yaml", "emojivoto", "emoji-svc",
        "emoji-svc", "-n", "emojivoto", "--proto", DEMO_PROTOS.resolve("emoji.proto").toString());
    assertEquals("/emojivoto.v1.EmojiService/ListAll",
        routeOf(emoji, "POST", "/emojivoto.v1.EmojiService/ListAll"));
    assertEquals("[DEFAULT]", routeOf(emoji, "GET", "/emojivoto.v1.EmojiService/ListAll"));
    assertEquals("[DEFAULT]", routeOf(emoji, "POST", "/emojivoto.v1xEmojiService/ListAll"));
    ServiceProfile voting = golden("voting-proto.yaml", "emojivoto", "voting-svc",
        "voting-svc", "-n", "emojivoto", "--proto", DEMO_PROTOS.resolve("voting.proto").toString());
    assertEquals(List.of("/emojivoto.v1.VotingService/Vote", "/emojivoto.v1.VotingService/Results"),
        voting.routes().stream().map(Route::name).toList());
  }

  @Test
  void protoWithSeveralServicesStreamingAndOptions() throws IOException {
    ServiceProfile p = golden("multi-proto.yaml", "shop", "orders",
        "orders", "-n", "shop", "--proto", RESOURCES.resolve("multi.proto").toString());
    assertEquals(List.of("/shop.v2.Orders/Place", "/shop.v2.Orders/Get", "/shop.v2.Orders/Watch",
        "/shop.v2.Orders/Upload", "/shop.v2.Stock/Reserve", "/shop.v2.Stock/Chat"),
        p.routes().stream().map(Route::name).toList());
    assertTrue(route(p, "/shop.v2.Orders/Get").retryable()); // NO_SIDE_EFFECTS
    assertTrue(route(p, "/shop.v2.Stock/Reserve").retryable()); // IDEMPOTENT
    assertFalse(route(p, "/shop.v2.Orders/Place").retryable());
  }

  @Test
  void tapGroupsObservedPaths() throws IOException {
    AtomicReference<String> asked = new AtomicReference<>();
    ObservedRequests recorded = (workload, namespace, duration) -> {
      asked.set(workload + " " + namespace + " " + duration);
      return List.of(
          new ObservedRequests.Request("GET", "/api/list"),
          new ObservedRequests.Request("GET", "/api/vote?choice=:doughnut:"),
          new ObservedRequests.Request("GET", "/api/vote/123"),
          new ObservedRequests.Request("GET", "/api/vote/456"),
          new ObservedRequests.Request("GET", "/api/leaderboard"),
          new ObservedRequests.Request("get", "/api/list"),
          new ObservedRequests.Request("GET", "/"),
          new ObservedRequests.Request("POST", "/api/vote/9f1c2b7e-1d2a-4c3b-9a8f-0e1d2c3b4a59"));
    };
    ProfileRun.Result r = ProfileRun.runWithTap(recorded,
        "web-svc", "-n", "emojivoto", "--tap", "deploy/web", "--tap-duration", "10s");
    ServiceProfile p = check(r, "tap.yaml", "emojivoto", "web-svc");
    assertEquals("web emojivoto PT10S", asked.get());
    assertEquals("GET /api/vote/{id}", routeOf(p, "GET", "/api/vote/789"));
    assertEquals("POST /api/vote/{id}", routeOf(p, "POST", "/api/vote/abc"));
    assertEquals("GET /api/vote", routeOf(p, "GET", "/api/vote"));
    assertEquals(6, p.routes().size());
  }

  @Test
  void protoFromStandardInput() throws IOException, URISyntaxException {
    var in = System.in;
    try {
      System.setIn(Files.newInputStream(DEMO_PROTOS.resolve("emoji.proto")));
      ProfileRun.Result r = ProfileRun.run("emoji-svc", "-n", "emojivoto", "--proto", "-");
      assertEquals(0, r.code(), r.err());
      assertEquals(Files.readString(RESOURCES.resolve("golden/emoji-proto.yaml")), r.out());
    } finally {
      System.setIn(in);
    }
  }
}
