package io.trellis.demo;

import io.grpc.Status;
import io.trellis.demo.grpc.Emoji;
import io.trellis.demo.grpc.EmojiService;
import io.trellis.demo.grpc.EmojiServiceClient;
import io.trellis.demo.grpc.FindByShortcodeRequest;
import io.trellis.demo.grpc.ListAllRequest;
import io.trellis.demo.grpc.ResultsRequest;
import io.trellis.demo.grpc.VoteRequest;
import io.trellis.demo.grpc.VotingResult;
import io.trellis.demo.grpc.VotingService;
import io.trellis.demo.grpc.VotingServiceClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code web} workload: the vote page and its JSON API, backed by the emoji and voting
 * services over gRPC.
 *
 * <ul>
 *   <li>{@code GET /}: the page (vote buttons and a leaderboard, via fetch)
 *   <li>{@code GET /api/list}: {@code [{"shortcode":":owl:","unicode":"🦉"}, ...]}
 *   <li>{@code GET /api/vote?choice=:owl:}: 200, 400 for an unknown emoji, 500 when voting fails
 *   <li>{@code GET /api/leaderboard}: {@code [{"shortcode":..,"unicode":..,"votes":3}, ...]}
 * </ul>
 */
public final class WebApp {
  private static final Logger log = LoggerFactory.getLogger(WebApp.class);
  /** Below the proxy's 10 s default route timeout: the app gives up first and says why. */
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(5);

  private final EmojiService emoji;
  private final VotingService voting;
  private final String page;

  /** Wires web to any implementations: gRPC clients in the mesh, the services in tests. */
  public WebApp(EmojiService emoji, VotingService voting) {
    this.emoji = emoji;
    this.voting = voting;
    this.page = resource("web/index.html");
  }

  /**
   * gRPC clients that connect to {@code via} (web's own outbound proxy in the mesh) and name
   * the service in {@code :authority}, which is how the proxy routes them: what an app sees in
   * Kubernetes once iptables sends its calls for {@code emoji-svc:8080} to the sidecar.
   */
  public static WebApp throughSidecar(
      ActorSystem<?> system, String viaHost, int viaPort, String emojiAuthority, String votingAuthority) {
    return connect(
        system, viaHost, viaPort, emojiAuthority, viaHost, viaPort, votingAuthority);
  }

  /** gRPC clients for each service at its own address, naming it by the given authority. */
  public static WebApp connect(
      ActorSystem<?> system,
      String emojiHost,
      int emojiPort,
      String emojiAuthority,
      String votingHost,
      int votingPort,
      String votingAuthority) {
    return new WebApp(
        EmojiServiceClient.create(
            clientSettings(system, emojiHost, emojiPort, emojiAuthority), system),
        VotingServiceClient.create(
            clientSettings(system, votingHost, votingPort, votingAuthority), system));
  }

  private static GrpcClientSettings clientSettings(
      ActorSystem<?> system, String host, int port, String authority) {
    return GrpcClientSettings.connectToServiceAt(host, port, system)
        .withTls(false) // h2c to the sidecar; mTLS between proxies is the mesh's job
        .withOverrideAuthority(authority)
        .withDeadline(CALL_DEADLINE)
        // Keep reconnecting while the sidecar starts or restarts instead of giving the client
        // up after 20 refusals: each call is still bounded by its deadline.
        .withConnectionAttempts(-1);
  }

  /** Serves web on {@code address:port}. */
  public AppServer start(ActorSystem<?> system, String address, int port) {
    return AppServer.bind(system, "web", address, port, request -> handle(request, system));
  }

  CompletionStage<HttpResponse> handle(HttpRequest request, ActorSystem<?> system) {
    request.discardEntityBytes(system);
    if (request.method() != HttpMethods.GET && request.method() != HttpMethods.HEAD) {
      return done(json(StatusCodes.METHOD_NOT_ALLOWED, error("only GET here")));
    }
    String path = request.getUri().path();
    CompletionStage<HttpResponse> response =
        switch (path) {
          case "/", "/index.html" ->
              done(HttpResponse.create().withEntity(ContentTypes.TEXT_HTML_UTF8, page));
          case "/api/list" -> list();
          case "/api/vote" -> vote(request.getUri().query().get("choice"));
          case "/api/leaderboard" -> leaderboard();
          default -> done(json(StatusCodes.NOT_FOUND, error("no such page: " + path)));
        };
    return response.exceptionally(
        t -> {
          Status status = Status.fromThrowable(unwrap(t));
          log.warn("{} failed: {}", path, describe(status));
          return json(StatusCodes.INTERNAL_SERVER_ERROR, error(describe(status)));
        });
  }

  private CompletionStage<HttpResponse> list() {
    return emoji
        .listAll(ListAllRequest.getDefaultInstance())
        .thenApply(
            all ->
                json(
                    StatusCodes.OK,
                    all.getListList().stream()
                        .map(WebApp::emojiJson)
                        .collect(Collectors.joining(",", "[", "]"))));
  }

  private CompletionStage<HttpResponse> vote(Optional<String> choice) {
    if (choice.isEmpty() || choice.get().isBlank()) {
      return done(json(StatusCodes.BAD_REQUEST, error("say what to vote for: ?choice=:owl:")));
    }
    String shortcode = choice.get();
    // Validate against the catalogue first, as a real front end would: an unknown emoji is the
    // caller's mistake (400), not a voting failure.
    return emoji
        .findByShortcode(FindByShortcodeRequest.newBuilder().setShortcode(shortcode).build())
        .thenCompose(
            found -> {
              if (!found.hasEmoji()) {
                return done(json(StatusCodes.BAD_REQUEST, error("no such emoji: " + shortcode)));
              }
              return voting
                  .vote(VoteRequest.newBuilder().setShortcode(shortcode).build())
                  .handle(
                      (ok, failure) -> {
                        if (failure == null) {
                          return json(
                              StatusCodes.OK,
                              Json.obj(
                                  "voted", Json.str(shortcode),
                                  "unicode", Json.str(found.getEmoji().getUnicode())));
                        }
                        // The failure the demo is about: say so with a 500, which the proxies
                        // in front of web count as a failed response.
                        Status status = Status.fromThrowable(unwrap(failure));
                        return json(
                            StatusCodes.INTERNAL_SERVER_ERROR,
                            error("voting for " + shortcode + " failed: " + describe(status)));
                      });
            });
  }

  private CompletionStage<HttpResponse> leaderboard() {
    CompletableFuture<Map<String, Emoji>> catalogue =
        emoji
            .listAll(ListAllRequest.getDefaultInstance())
            .thenApply(
                r ->
                    r.getListList().stream()
                        .collect(Collectors.toMap(Emoji::getShortcode, Function.identity())))
            .toCompletableFuture();
    return voting
        .results(ResultsRequest.getDefaultInstance())
        .thenCombine(
            catalogue,
            (results, byShortcode) ->
                json(
                    StatusCodes.OK,
                    results.getResultsList().stream()
                        .filter(r -> byShortcode.containsKey(r.getShortcode()))
                        .map(r -> resultJson(r, byShortcode.get(r.getShortcode())))
                        .collect(Collectors.joining(",", "[", "]"))));
  }

  private static String emojiJson(Emoji e) {
    return Json.obj("shortcode", Json.str(e.getShortcode()), "unicode", Json.str(e.getUnicode()));
  }

  private static String resultJson(VotingResult r, Emoji e) {
    return Json.obj(
        "shortcode", Json.str(r.getShortcode()),
        "unicode", Json.str(e.getUnicode()),
        "votes", Long.toString(r.getVotes()));
  }

  private static String error(String message) {
    return Json.obj("error", Json.str(message));
  }

  private static HttpResponse json(StatusCode status, String body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, body.getBytes(StandardCharsets.UTF_8));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static String describe(Status s) {
    return s.getDescription() == null ? s.getCode().name() : s.getCode() + ": " + s.getDescription();
  }

  private static String resource(String name) {
    try (InputStream in = WebApp.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code WebApp --address 127.0.10.11 --port 8080 --outbound 127.0.10.11:4140 --emoji
   * emoji-svc:8080 --voting voting-svc:8080}: the web workload on its own.
   */
  public static void main(String[] args) {
    Args a = Args.parse(args);
    ActorSystem<Void> system = AppServer.newSystem("web");
    String[] via = a.require("outbound").split(":");
    WebApp web =
        throughSidecar(
            system,
            via[0],
            Integer.parseInt(via[1]),
            a.get("emoji", "emoji-svc:8080"),
            a.get("voting", "voting-svc:8080"));
    AppServer server = web.start(system, a.get("address", "127.0.0.1"), a.getInt("port", 8080));
    AppServer.runUntilStopped(system, server);
  }
}
