package io.trellis.proxy.http;

import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ContentType;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * HTTP/1.1 chunked bodies, both ways, are read to their end before their last chunk is passed on.
 *
 * <p>Why: a pekko-http 1.3.0 HTTP/1 connection counts a chunked message as read only once its
 * entity stream has been pulled past the last chunk (the parser's end of message follows it),
 * while pekko's HTTP/1 renderer cancels its entity stream as soon as it has written the last chunk.
 * Handed from one connection to the other as is, a chunked request's end is never read on the
 * proxy's server side: the upstream's answer is then an "early" response, after which the server
 * closes the client's connection (Connection: close, or a reset for a client still writing); a
 * chunked response's end is never read on the upstream connection, which the pool then drops.
 * Holding the last chunk until the source completes reads the end first, then the renderer writes
 * the terminating chunk. Nothing is buffered but that one (empty) chunk.
 */
public final class ChunkedBodies {
  private ChunkedBodies() {}

  public static HttpService.Layer readToEnd() {
    return next ->
        (request, exchange) ->
            next.serve(readToEnd(request), exchange).thenApply(ChunkedBodies::readToEnd);
  }

  static HttpRequest readToEnd(HttpRequest request) {
    return request.entity() instanceof HttpEntity.Chunked chunked && isHttp1(request.protocol())
        ? request.withEntity(holdingLastChunk(chunked))
        : request;
  }

  static HttpResponse readToEnd(HttpResponse response) {
    return response.entity() instanceof HttpEntity.Chunked chunked
            && isHttp1(response.protocol())
        ? response.withEntity(holdingLastChunk(chunked))
        : response;
  }

  private static boolean isHttp1(org.apache.pekko.http.javadsl.model.HttpProtocol protocol) {
    return protocol != Forward.HTTP_2;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked holdingLastChunk(
      HttpEntity.Chunked chunked) {
    Source parts = chunked.getChunks().via(new HoldLastChunk());
    return new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(
        (ContentType) chunked.getContentType(), parts.asScala());
  }

  /** Passes chunks through; the last one (with its trailers) only once upstream has completed. */
  static final class HoldLastChunk
      extends GraphStage<FlowShape<HttpEntity.ChunkStreamPart, HttpEntity.ChunkStreamPart>> {
    private final Inlet<HttpEntity.ChunkStreamPart> in = Inlet.create("HoldLastChunk.in");
    private final Outlet<HttpEntity.ChunkStreamPart> out = Outlet.create("HoldLastChunk.out");
    private final FlowShape<HttpEntity.ChunkStreamPart, HttpEntity.ChunkStreamPart> shape =
        FlowShape.of(in, out);

    @Override
    public FlowShape<HttpEntity.ChunkStreamPart, HttpEntity.ChunkStreamPart> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new GraphStageLogic(shape) {
        private HttpEntity.ChunkStreamPart last;

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  HttpEntity.ChunkStreamPart chunk = grab(in);
                  if (chunk.isLastChunk()) {
                    // The end of the message follows: read it while the renderer still waits.
                    last = chunk;
                    pull(in);
                  } else {
                    push(out, chunk);
                  }
                }

                @Override
                public void onUpstreamFinish() {
                  if (last != null) {
                    emit(out, last);
                  }
                  completeStage();
                }
              });
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(in);
                }
              });
        }
      };
    }
  }
}
