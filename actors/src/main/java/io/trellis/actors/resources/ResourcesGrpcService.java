package io.trellis.actors.resources;

import io.grpc.Status;
import io.trellis.api.resources.Applied;
import io.trellis.api.resources.ApplyRequest;
import io.trellis.api.resources.ApplyResponse;
import io.trellis.api.resources.DeleteRequest;
import io.trellis.api.resources.DeleteResponse;
import io.trellis.api.resources.Kind;
import io.trellis.api.resources.ListRequest;
import io.trellis.api.resources.Resource;
import io.trellis.api.resources.ResourceList;
import io.trellis.api.resources.Resources;
import io.trellis.config.ResourceDocument;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;

/** The resources API ({@code trellis apply/get/delete}) over this node's {@link ResourceStore}. */
public final class ResourcesGrpcService implements Resources {
  private final ActorSystem<?> system;
  private final ActorRef<ResourceStore.Command> store;
  private final Duration timeout;

  public ResourcesGrpcService(
      ActorSystem<?> system, ActorRef<ResourceStore.Command> store, Duration timeout) {
    this.system = system;
    this.store = store;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<ApplyResponse> apply(ApplyRequest in) {
    String source = in.getSource().isBlank() ? "-" : in.getSource();
    return this.<java.util.List<ResourceStore.Outcome>>ask(
            r -> new ResourceStore.Apply(source, in.getYaml(), r))
        .thenApply(outcomes -> {
          ApplyResponse.Builder b = ApplyResponse.newBuilder();
          outcomes.forEach(o -> b.addApplied(Applied.newBuilder()
              .setKind(toProto(o.kind())).setName(o.name()).setOutcome(o.outcome())));
          return b.build();
        });
  }

  @Override
  public CompletionStage<ResourceList> list(ListRequest in) {
    ResourceDocument.Kind kind = fromProto(in.getKind());
    if (kind == null) {
      return invalid("kind: ServiceProfile or TrafficSplit is required");
    }
    return this.<java.util.List<ResourceStore.Listed>>ask(
            r -> new ResourceStore.ListResources(kind, in.getName(), r))
        .thenApply(listed -> {
          ResourceList.Builder b = ResourceList.newBuilder();
          listed.forEach(l -> b.addResources(Resource.newBuilder()
              .setKind(toProto(l.kind())).setName(l.name()).setNamespace(l.namespace())
              .setSource(l.applied() ? "applied" : "mesh.conf")
              .setSinceMillis(l.sinceMillis()).setYaml(l.yaml())));
          return b.build();
        });
  }

  @Override
  public CompletionStage<DeleteResponse> delete(DeleteRequest in) {
    ResourceDocument.Kind kind = fromProto(in.getKind());
    if (kind == null || in.getName().isBlank()) {
      return invalid("kind and name are required");
    }
    return this.<String>ask(r -> new ResourceStore.Delete(kind, in.getName(), r))
        .thenApply(name -> DeleteResponse.getDefaultInstance());
  }

  private <T> CompletionStage<T> ask(
      Function<ActorRef<ResourceStore.Reply<T>>, ResourceStore.Command> request) {
    return AskPattern.<ResourceStore.Command, ResourceStore.Reply<T>>ask(
            store, request::apply, timeout, system.scheduler())
        .thenApply(reply -> {
          if (reply.error() != null) {
            throw new GrpcServiceException(reply.error().status());
          }
          return reply.value();
        });
  }

  private static <T> CompletionStage<T> invalid(String message) {
    return CompletableFuture.failedFuture(
        new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(message)));
  }

  public static Kind toProto(ResourceDocument.Kind kind) {
    return kind == ResourceDocument.Kind.SERVICE_PROFILE ? Kind.SERVICE_PROFILE : Kind.TRAFFIC_SPLIT;
  }

  public static ResourceDocument.Kind fromProto(Kind kind) {
    return switch (kind) {
      case SERVICE_PROFILE -> ResourceDocument.Kind.SERVICE_PROFILE;
      case TRAFFIC_SPLIT -> ResourceDocument.Kind.TRAFFIC_SPLIT;
      default -> null;
    };
  }
}
