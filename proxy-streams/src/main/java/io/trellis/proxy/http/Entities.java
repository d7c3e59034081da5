package io.trellis.proxy.http;

import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.scaladsl.model.ContentType;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Puts a pass-through stage into an entity's own stream, keeping its framing: a chunked entity
 * keeps its parts (and the last one's trailers), a Content-Length entity its length, a
 * close-delimited one stays so. Strict and empty entities have no stream and are returned as is.
 * The stage sees {@code ChunkStreamPart}s of a chunked entity and {@code ByteString}s otherwise.
 */
public final class Entities {
  private Entities() {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <E extends HttpEntity> E through(E entity, Graph<FlowShape<Object, Object>, ?> stage) {
    if (entity.isKnownEmpty() || entity instanceof HttpEntity.Strict) {
      return entity;
    }
    var contentType = entity.getContentType();
    if (entity instanceof HttpEntity.Chunked chunked) {
      Source parts = ((Source) chunked.getChunks()).via(stage);
      return (E)
          new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(
              (ContentType) contentType, parts.asScala());
    }
    Source bytes = ((Source) entity.getDataBytes()).via(stage);
    if (entity instanceof HttpEntity.Default) {
      return (E) HttpEntities.create(contentType, entity.getContentLengthOption().getAsLong(), bytes);
    }
    if (entity instanceof HttpEntity.CloseDelimited) {
      return (E) HttpEntities.createCloseDelimited(contentType, bytes);
    }
    return (E) HttpEntities.createIndefiniteLength(contentType, bytes);
  }
}
