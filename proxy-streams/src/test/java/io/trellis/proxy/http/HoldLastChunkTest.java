package io.trellis.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.model.HttpEntity.ChunkStreamPart;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The last chunk of a body is passed on only after its source's end has been read. */
class HoldLastChunkTest {
  static final ActorSystem<Void> system =
      ActorSystem.create(Behaviors.empty(), "HoldLastChunkTest");

  @AfterAll
  static void stop() {
    system.terminate();
  }

  @Test
  void lastChunkIsPassedOnOnlyAfterTheEndOfItsSourceWasRead() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    ChunkStreamPart data = ChunkStreamPart.create(ByteString.fromString("data"));
    ChunkStreamPart last = ChunkStreamPart.createLast("", List.of(RawHeader.create("x-sum", "1")));
    List<ChunkStreamPart> parts = List.of(data, last);
    List<ChunkStreamPart> out =
        // Like pekko's entity source: its end is read only when pulled after the last chunk.
        Source.unfold(
                0,
                i -> {
                  if (i == parts.size()) {
                    events.add("end read");
                    return Optional.empty();
                  }
                  return Optional.of(Pair.create(i + 1, parts.get(i)));
                })
            .via(new ChunkedBodies.HoldLastChunk())
            .map(
                part -> {
                  events.add(part.isLastChunk() ? "last chunk" : "chunk");
                  return part;
                })
            // Like pekko's renderer: no pull after the last chunk.
            .takeWhile(part -> !part.isLastChunk(), true)
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertEquals(List.of("chunk", "end read", "last chunk"), events);
    assertEquals(parts, out);
    assertSame(last, out.get(1)); // with its trailers
  }

  @Test
  void bodyWithoutALastChunkPassesThrough() throws Exception {
    ChunkStreamPart data = ChunkStreamPart.create(ByteString.fromString("data"));
    List<ChunkStreamPart> out =
        Source.single(data)
            .via(new ChunkedBodies.HoldLastChunk())
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertEquals(List.of(data), out);
  }
}
