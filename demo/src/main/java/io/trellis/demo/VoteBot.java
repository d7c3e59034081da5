package io.trellis.demo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code vote-bot} workload: calls web through its own sidecar at a steady rate, so the
 * mesh always has traffic to show. Every call is a plain HTTP/1.1 request to the bot's outbound
 * proxy with {@code Host: web-svc:80}.
 *
 * <p>Of every ten calls, one lists the emoji (the bot refreshes its choices), one reads the
 * leaderboard, one votes for {@link VotingApp#FAILING_SHORTCODE} and the rest vote for an emoji
 * at random. The deliberate failing vote keeps the failure rate steady (about 10%, a little
 * more when the random pick lands on it too) instead of leaving it to chance.
 *
 * <p>It also answers {@code GET /} on its own app port with its counters, as JSON.
 */
public final class VoteBot {
  private static final Logger log = LoggerFactory.getLogger(VoteBot.class);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** At most this many calls in flight: a stalled web slows the bot instead of piling up. */
  private static final int MAX_IN_FLIGHT = 4;

  private static final Pattern SHORTCODE = Pattern.compile("\"shortcode\":\"([^\"]+)\"");

  private final ActorSystem<?> system;
  private final Uri base;
  private final Host webAuthority;
  private final double rate;

  private final AtomicReference<List<String>> choices = new AtomicReference<>(List.of());
  private final AtomicLong calls = new AtomicLong();
  private final Map<Integer, LongAdder> responses = new ConcurrentHashMap<>();
  private final LongAdder errors = new LongAdder();
  private volatile UniqueKillSwitch running;
  private volatile CompletionStage<Done> finished = CompletableFuture.completedFuture(Done.done());

  /**
   * @param viaHost the bot's outbound proxy (or web itself, without a mesh)
   * @param webAuthority what to put in {@code Host}, e.g. {@code web-svc:80}
   * @param rate calls per second
   */
  public VoteBot(ActorSystem<?> system, String viaHost, int viaPort, String webAuthority, double rate) {
    if (!(rate > 0 && rate <= 1000)) {
      throw new IllegalArgumentException("rate must be in (0, 1000] calls per second: " + rate);
    }
    this.system = system;
    this.base = Uri.create("http://" + viaHost + ":" + viaPort);
    int colon = webAuthority.lastIndexOf(':');
    this.webAuthority =
        colon < 0
            ? Host.create(webAuthority)
            : Host.create(
                webAuthority.substring(0, colon),
                Integer.parseInt(webAuthority.substring(colon + 1)));
    this.rate = rate;
  }

  /** Starts calling; runs until {@link #stop()}. */
  public synchronized VoteBot start() {
    if (running != null) {
      return this;
    }
    Duration interval = Duration.ofNanos((long) (TimeUnit.SECONDS.toNanos(1) / rate));
    // tick drops ticks while the calls in flight are at MAX_IN_FLIGHT: the loop is bounded.
    Pair<UniqueKillSwitch, CompletionStage<Done>> mat =
        Source.tick(Duration.ZERO, interval, Boolean.TRUE)
            .viaMat(KillSwitches.single(), Keep.right())
            .map(tick -> calls.getAndIncrement())
            .mapAsyncUnordered(MAX_IN_FLIGHT, this::step)
            .toMat(Sink.ignore(), Keep.both())
            .run(Materializer.matFromSystem(system));
    running = mat.first();
    finished = mat.second();
    log.info("vote-bot calling {} as {} at {}/s", base, webAuthority.value(), rate);
    return this;
  }

  /** Stops after the calls in flight. */
  public CompletionStage<Done> stop() {
    UniqueKillSwitch r = running;
    if (r != null) {
      r.shutdown();
    }
    return finished;
  }

  /** Serves the counters on {@code address:port}. */
  public AppServer serveStatus(String address, int port) {
    return AppServer.bind(
        system,
        "vote-bot",
        address,
        port,
        request -> {
          request.discardEntityBytes(system);
          return CompletableFuture.completedFuture(
              HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, statusJson()));
        });
  }

  /** Counters: calls made, responses by status code, calls that got no response. */
  public String statusJson() {
    StringBuilder byStatus = new StringBuilder("{");
    new TreeMap<>(responses)
        .forEach(
            (code, n) ->
                byStatus
                    .append(byStatus.length() > 1 ? "," : "")
                    .append(Json.str(code.toString()))
                    .append(':')
                    .append(n.sum()));
    byStatus.append('}');
    return Json.obj(
        "web", Json.str(webAuthority.value()),
        "via", Json.str(base.toString()),
        "rate", Double.toString(rate),
        "calls", Long.toString(calls.get()),
        "responses", byStatus.toString(),
        "errors", Long.toString(errors.sum()));
  }

  /** How many responses with this status the bot has seen. */
  public long responses(int status) {
    LongAdder n = responses.get(status);
    return n == null ? 0 : n.sum();
  }

  private CompletionStage<Done> step(long n) {
    List<String> known = choices.get();
    if (known.isEmpty() || n % 10 == 0) {
      return call("/api/list", null)
          .thenApply(
              body -> {
                if (body != null) {
                  choices.set(shortcodes(body));
                }
                return Done.done();
              });
    }
    if (n % 10 == 5) {
      return call("/api/leaderboard", null).thenApply(body -> Done.done());
    }
    String choice =
        n % 10 == 3
            ? VotingApp.FAILING_SHORTCODE
            : known.get(ThreadLocalRandom.current().nextInt(known.size()));
    return call("/api/vote", choice).thenApply(body -> Done.done());
  }

  /** One call; completes with the body of a 2xx response, else null. Never fails. */
  private CompletionStage<String> call(String path, String choice) {
    Uri uri = base.path(path);
    if (choice != null) {
      uri = uri.query(Query.create(Pair.create("choice", choice)));
    }
    HttpRequest request = HttpRequest.GET(uri.toString()).addHeader(webAuthority);
    Materializer mat = Materializer.matFromSystem(system);
    return Http.get(system)
        .singleRequest(request)
        .thenCompose(
            response ->
                response
                    .entity()
                    .toStrict(REQUEST_TIMEOUT.toMillis(), mat)
                    .thenApply(
                        strict -> {
                          int status = response.status().intValue();
                          responses.computeIfAbsent(status, k -> new LongAdder()).increment();
                          return status / 100 == 2
                              ? strict.getData().decodeString(StandardCharsets.UTF_8)
                              : null;
                        }))
        .toCompletableFuture()
        .orTimeout(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            t -> {
              errors.increment();
              log.debug("{} failed: {}", path, t.toString());
              return null;
            });
  }

  static List<String> shortcodes(String listJson) {
    List<String> out = new java.util.ArrayList<>();
    Matcher m = SHORTCODE.matcher(listJson);
    while (m.find()) {
      out.add(m.group(1));
    }
    return List.copyOf(out);
  }

  /**
   * {@code VoteBot --outbound 127.0.10.14:4140 --web web-svc:80 --rate 3 [--address 127.0.10.14
   * --port 8080]}: the bot on its own; with an address it serves its counters there.
   */
  public static void main(String[] args) {
    Args a = Args.parse(args);
    ActorSystem<Void> system = AppServer.newSystem("vote-bot");
    String[] via = a.require("outbound").split(":");
    VoteBot bot =
        new VoteBot(
            system, via[0], Integer.parseInt(via[1]), a.get("web", "web-svc:80"), a.getDouble("rate", 3));
    String address = a.get("address", null);
    AppServer status = address == null ? null : bot.serveStatus(address, a.getInt("port", 8080));
    bot.start();
    if (status == null) {
      AppServer.runUntilStopped(system, bot::stop);
    } else {
      AppServer.runUntilStopped(system, bot::stop, status);
    }
  }
}
