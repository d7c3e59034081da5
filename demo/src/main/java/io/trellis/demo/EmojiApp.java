package io.trellis.demo;

import io.trellis.demo.grpc.EmojiService;
import io.trellis.demo.grpc.EmojiServiceHandlerFactory;
import io.trellis.demo.grpc.FindByShortcodeRequest;
import io.trellis.demo.grpc.FindByShortcodeResponse;
import io.trellis.demo.grpc.ListAllRequest;
import io.trellis.demo.grpc.ListAllResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/** The {@code emoji} workload: serves {@link Emojis} over gRPC ({@code EmojiService}). */
public final class EmojiApp implements EmojiService {

  @Override
  public CompletionStage<ListAllResponse> listAll(ListAllRequest in) {
    return CompletableFuture.completedFuture(
        ListAllResponse.newBuilder().addAllList(Emojis.all()).build());
  }

  @Override
  public CompletionStage<FindByShortcodeResponse> findByShortcode(FindByShortcodeRequest in) {
    FindByShortcodeResponse.Builder out = FindByShortcodeResponse.newBuilder();
    Emojis.find(in.getShortcode()).ifPresent(out::setEmoji);
    return CompletableFuture.completedFuture(out.build());
  }

  /** Serves the emoji service on {@code address:port} (h2c, as gRPC without TLS needs). */
  public static AppServer start(ActorSystem<?> system, String address, int port) {
    return AppServer.bind(
        system, "emoji", address, port, EmojiServiceHandlerFactory.create(new EmojiApp(), system));
  }

  /** {@code EmojiApp --address 127.0.10.12 --port 8080}: the emoji workload on its own. */
  public static void main(String[] args) {
    Args a = Args.parse(args);
    ActorSystem<Void> system = AppServer.newSystem("emoji");
    AppServer server = start(system, a.get("address", "127.0.0.1"), a.getInt("port", 8080));
    AppServer.runUntilStopped(system, server);
  }
}
