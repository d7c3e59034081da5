package io.trellis.demo;

import io.grpc.Status;
import io.trellis.demo.grpc.ResultsRequest;
import io.trellis.demo.grpc.ResultsResponse;
import io.trellis.demo.grpc.VoteRequest;
import io.trellis.demo.grpc.VoteResponse;
import io.trellis.demo.grpc.VotingResult;
import io.trellis.demo.grpc.VotingService;
import io.trellis.demo.grpc.VotingServiceHandlerFactory;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code voting} workload: in-memory vote counts over gRPC ({@code VotingService}). A vote
 * for {@link #FAILING_SHORTCODE} always fails with UNKNOWN: the bug the mesh helps to find.
 */
public final class VotingApp implements VotingService {
  /** The emoji whose votes always fail (as in emojivoto, the doughnut). */
  public static final String FAILING_SHORTCODE = ":doughnut:";

  private static final Logger log = LoggerFactory.getLogger(VotingApp.class);

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<VoteResponse> vote(VoteRequest in) {
    String shortcode = in.getShortcode();
    if (shortcode.isEmpty()) {
      return CompletableFuture.failedFuture(
          new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription("no shortcode")));
    }
    if (FAILING_SHORTCODE.equals(shortcode)) {
      // Deliberate: a real-looking server-side failure, gRPC status UNKNOWN (2) in the trailers,
      // which the proxies classify as a failure.
      log.debug("refusing a vote for {}", shortcode);
      return CompletableFuture.failedFuture(
          new GrpcServiceException(
              Status.UNKNOWN.withDescription("cannot count a vote for " + shortcode)));
    }
    counts.computeIfAbsent(shortcode, k -> new LongAdder()).increment();
    return CompletableFuture.completedFuture(VoteResponse.getDefaultInstance());
  }

  @Override
  public CompletionStage<ResultsResponse> results(ResultsRequest in) {
    ResultsResponse.Builder out = ResultsResponse.newBuilder();
    counts.entrySet().stream()
        .map(e -> VotingResult.newBuilder().setShortcode(e.getKey()).setVotes(e.getValue().sum()).build())
        .sorted(
            Comparator.comparingLong(VotingResult::getVotes)
                .reversed()
                .thenComparing(VotingResult::getShortcode))
        .forEach(out::addResults);
    return CompletableFuture.completedFuture(out.build());
  }

  /** Serves the voting service on {@code address:port} (h2c). */
  public static AppServer start(ActorSystem<?> system, String address, int port) {
    return AppServer.bind(
        system, "voting", address, port,
        VotingServiceHandlerFactory.create(new VotingApp(), system));
  }

  /** {@code VotingApp --address 127.0.10.13 --port 8080}: the voting workload on its own. */
  public static void main(String[] args) {
    Args a = Args.parse(args);
    ActorSystem<Void> system = AppServer.newSystem("voting");
    AppServer server = start(system, a.get("address", "127.0.0.1"), a.getInt("port", 8080));
    AppServer.runUntilStopped(system, server);
  }
}
