package io.trellis.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.trellis.demo.grpc.Emoji;
import io.trellis.demo.grpc.FindByShortcodeRequest;
import io.trellis.demo.grpc.ListAllRequest;
import io.trellis.demo.grpc.ResultsRequest;
import io.trellis.demo.grpc.VoteRequest;
import io.trellis.demo.grpc.VotingResult;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The two gRPC services' behaviour, called in-process. */
class EmojiAndVotingTest {

  @Test
  void emojiListsTheWholeCatalogueWithUniqueShortcodes() throws Exception {
    List<Emoji> all = await(new EmojiApp().listAll(ListAllRequest.getDefaultInstance())).getListList();
    assertEquals(Emojis.all(), all);
    assertTrue(all.size() >= 10, "enough emoji to vote for");
    assertEquals(all.size(), new HashSet<>(all.stream().map(Emoji::getShortcode).toList()).size());
    assertTrue(
        all.stream().anyMatch(e -> e.getShortcode().equals(VotingApp.FAILING_SHORTCODE)),
        "the emoji that cannot be voted for is on the list");
    all.forEach(e -> assertTrue(e.getShortcode().matches(":[a-z_]+:"), e.getShortcode()));
  }

  @Test
  void emojiFindsByShortcodeAndAnswersEmptyForUnknown() throws Exception {
    EmojiApp emoji = new EmojiApp();
    Emoji doughnut =
        await(emoji.findByShortcode(FindByShortcodeRequest.newBuilder().setShortcode(":doughnut:").build()))
            .getEmoji();
    assertEquals("\uD83C\uDF69", doughnut.getUnicode());
    assertFalse(
        await(emoji.findByShortcode(FindByShortcodeRequest.newBuilder().setShortcode(":nope:").build()))
            .hasEmoji());
  }

  @Test
  void votingCountsVotesAndRanksMostFirst() throws Exception {
    VotingApp voting = new VotingApp();
    for (String s : List.of(":owl:", ":crab:", ":owl:", ":rocket:", ":owl:", ":crab:")) {
      await(voting.vote(VoteRequest.newBuilder().setShortcode(s).build()));
    }
    List<VotingResult> results = await(voting.results(ResultsRequest.getDefaultInstance())).getResultsList();
    assertEquals(List.of(":owl:", ":crab:", ":rocket:"), results.stream().map(VotingResult::getShortcode).toList());
    assertEquals(List.of(3L, 2L, 1L), results.stream().map(VotingResult::getVotes).toList());
  }

  @Test
  void votingForTheFailingEmojiAlwaysFailsWithUnknownAndIsNotCounted() throws Exception {
    VotingApp voting = new VotingApp();
    for (int i = 0; i < 3; i++) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> await(voting.vote(VoteRequest.newBuilder().setShortcode(VotingApp.FAILING_SHORTCODE).build())));
      Status status = Status.fromThrowable(e.getCause());
      assertEquals(Status.Code.UNKNOWN, status.getCode());
      assertTrue(status.getDescription().contains(":doughnut:"), status.getDescription());
    }
    assertEquals(0, await(voting.results(ResultsRequest.getDefaultInstance())).getResultsCount());
    ExecutionException empty =
        assertThrows(ExecutionException.class, () -> await(voting.vote(VoteRequest.getDefaultInstance())));
    assertInstanceOf(org.apache.pekko.grpc.GrpcServiceException.class, empty.getCause());
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(empty.getCause()).getCode());
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
