package io.trellis.tests.backend;

import io.grpc.Status;
import io.trellis.tests.grpc.Echo;
import io.trellis.tests.grpc.EchoReply;
import io.trellis.tests.grpc.EchoRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The gRPC side of the test backend. A request with {@code fail_with} set ends its call with that
 * status and custom trailing metadata, so tests can check that trailers cross the mesh intact.
 */
public final class EchoService implements Echo {
  /** Trailing metadata the server sends with every failure it is asked for. */
  public static final String REASON_TRAILER = "x-echo-reason";

  private final String servedBy;
  private final Materializer materializer;

  public EchoService(String servedBy, Materializer materializer) {
    this.servedBy = servedBy;
    this.materializer = materializer;
  }

  @Override
  public CompletionStage<EchoReply> unary(EchoRequest in) {
    if (in.getFailWith() != 0) {
      return CompletableFuture.failedFuture(failure(in));
    }
    return CompletableFuture.completedFuture(reply(in, 0));
  }

  @Override
  public CompletionStage<EchoReply> collect(Source<EchoRequest, NotUsed> in) {
    return in.runFold(
            new Pair<>(0, new StringBuilder()),
            (acc, req) -> {
              if (req.getFailWith() != 0) {
                throw failure(req);
              }
              return new Pair<>(acc.first() + 1, acc.second().append(req.getText()));
            },
            materializer)
        .thenApply(
            acc ->
                EchoReply.newBuilder()
                    .setText(acc.second().toString())
                    .setIndex(acc.first())
                    .build());
  }

  @Override
  public Source<EchoReply, NotUsed> repeat(EchoRequest in) {
    Source<EchoReply, NotUsed> replies =
        Source.range(0, Math.max(0, in.getCount() - 1)).take(in.getCount()).map(i -> reply(in, i));
    // A failure after the replies: the status travels in the trailers that end the stream. A
    // stream failure overtakes elements still buffered in the server's own stages, so it waits
    // a moment for the replies to leave first.
    return in.getFailWith() == 0
        ? replies
        : replies.concat(
            Source.single(in)
                .initialDelay(java.time.Duration.ofMillis(300))
                .map(
                    req -> {
                      throw failure(req);
                    }));
  }

  @Override
  public Source<EchoReply, NotUsed> chat(Source<EchoRequest, NotUsed> in) {
    return in.zipWithIndex()
        .map(
            p -> {
              if (p.first().getFailWith() != 0) {
                throw failure(p.first());
              }
              return reply(p.first(), p.second().intValue());
            });
  }

  private EchoReply reply(EchoRequest in, int index) {
    return EchoReply.newBuilder()
        .setText(in.getText() + " from " + servedBy)
        .setPayload(in.getPayload())
        .setIndex(index)
        .build();
  }

  private static GrpcServiceException failure(EchoRequest in) {
    return new GrpcServiceException(
        Status.fromCodeValue(in.getFailWith()).withDescription("asked to fail: " + in.getText()),
        new MetadataBuilder().addText(REASON_TRAILER, "requested " + in.getFailWith()).build());
  }
}
