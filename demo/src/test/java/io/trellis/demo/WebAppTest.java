package io.trellis.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.demo.grpc.EmojiServiceHandlerFactory;
import io.trellis.demo.grpc.VotingServiceHandlerFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * web's API over the network, wired to real emoji and voting gRPC servers without proxies (each
 * client pointed straight at its server, still naming the service in :authority), and vote-bot
 * calling that web.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebAppTest {
  private ActorSystem<Void> system;
  private final Set<String> emojiAuthorities = ConcurrentHashMap.newKeySet();
  private final Set<String> votingAuthorities = ConcurrentHashMap.newKeySet();
  private final Set<String> webHosts = ConcurrentHashMap.newKeySet();
  private AppServer emoji;
  private AppServer voting;
  private AppServer web;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() {
    system = AppServer.newSystem("web-test");
    var emojiHandler = EmojiServiceHandlerFactory.create(new EmojiApp(), system);
    emoji =
        AppServer.bind(system, "emoji", "127.0.0.1", 0, request -> {
          emojiAuthorities.add(authority(request));
          return emojiHandler.apply(request);
        });
    var votingHandler = VotingServiceHandlerFactory.create(new VotingApp(), system);
    voting =
        AppServer.bind(system, "voting", "127.0.0.1", 0, request -> {
          votingAuthorities.add(authority(request));
          return votingHandler.apply(request);
        });
    WebApp app =
        WebApp.connect(
            system,
            "127.0.0.1", emoji.address().getPort(), "emoji-svc:8080",
            "127.0.0.1", voting.address().getPort(), "voting-svc:8080");
    web =
        AppServer.bind(system, "web", "127.0.0.1", 0, request -> {
          request.getHeader(Host.class).ifPresent(h -> webHosts.add(h.value()));
          return app.handle(request, system);
        });
  }

  @AfterAll
  void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }

  @Test
  void listIsTheCatalogueAsJson() throws Exception {
    HttpResponse<String> r = get("/api/list");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
    String expected =
        Emojis.all().stream()
            .map(e -> "{\"shortcode\":\"" + e.getShortcode() + "\",\"unicode\":\"" + e.getUnicode() + "\"}")
            .collect(Collectors.joining(",", "[", "]"));
    assertEquals(expected, r.body());
    assertTrue(emojiAuthorities.contains("emoji-svc:8080"), () -> "emoji saw " + emojiAuthorities);
  }

  @Test
  void voteCountsAndTheLeaderboardShowsIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = get("/api/vote?choice=:hedgehog:");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("{\"voted\":\":hedgehog:\",\"unicode\":\"\uD83E\uDD94\"}", r.body());
    }
    HttpResponse<String> board = get("/api/leaderboard");
    assertEquals(200, board.statusCode());
    assertTrue(
        board.body().contains("{\"shortcode\":\":hedgehog:\",\"unicode\":\"\uD83E\uDD94\",\"votes\":3}"),
        board.body());
    assertTrue(votingAuthorities.contains("voting-svc:8080"), () -> "voting saw " + votingAuthorities);
  }

  @Test
  void votingForTheFailingEmojiIsA500() throws Exception {
    HttpResponse<String> r = get("/api/vote?choice=" + VotingApp.FAILING_SHORTCODE);
    assertEquals(500, r.statusCode());
    assertTrue(r.body().contains("UNKNOWN: cannot count a vote for :doughnut:"), r.body());
    assertFalse(get("/api/leaderboard").body().contains(":doughnut:"));
  }

  @Test
  void badChoicesAre400() throws Exception {
    assertEquals(400, get("/api/vote?choice=:no-such-emoji:").statusCode());
    assertEquals(400, get("/api/vote").statusCode());
    assertEquals(404, get("/api/nothing").statusCode());
  }

  @Test
  void pageIsHtmlThatUsesTheApi() throws Exception {
    HttpResponse<String> r = get("/");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/html"));
    for (String api : List.of("/api/list", "/api/vote?choice=", "/api/leaderboard")) {
      assertTrue(r.body().contains("'" + api), "page calls " + api);
    }
  }

  @Test
  void voteBotVotesSteadilyNamingWebInHostAndHitsTheFailure() throws Exception {
    // A web of its own, wired to the services in-process, so the bot's votes stay out of the
    // other tests' counts.
    WebApp app = new WebApp(new EmojiApp(), new VotingApp());
    AppServer botsWeb =
        AppServer.bind(system, "web", "127.0.0.1", 0, request -> {
          request.getHeader(Host.class).ifPresent(h -> webHosts.add(h.value()));
          return app.handle(request, system);
        });
    VoteBot bot = new VoteBot(system, "127.0.0.1", botsWeb.address().getPort(), "web-svc:80", 40).start();
    try {
      eventually(
          "the bot's votes succeed and its :doughnut: votes fail",
          Duration.ofSeconds(20),
          () -> bot.responses(200) >= 10 && bot.responses(500) >= 1);
    } finally {
      bot.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      botsWeb.stop(Duration.ofSeconds(1));
    }
    assertTrue(webHosts.contains("web-svc:80"), () -> "web saw Host " + webHosts);
    assertTrue(bot.statusJson().contains("\"responses\":{\"200\":"), bot.statusJson());
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + web.address().getPort() + pathAndQuery);
    return http.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String authority(org.apache.pekko.http.javadsl.model.HttpRequest request) {
    return request.getUri().host().address() + ":" + request.getUri().port();
  }

  static void eventually(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
    Instant end = Instant.now().plus(deadline);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new AssertionError("not within " + deadline + ": " + what);
      }
      // Poll, not a fixed wait: returns as soon as the condition holds.
      CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)).join();
    }
  }
}
