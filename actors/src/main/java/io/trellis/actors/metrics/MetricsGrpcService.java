package io.trellis.actors.metrics;

import io.grpc.Status;
import io.trellis.api.metrics.EdgesRequest;
import io.trellis.api.metrics.EdgesResponse;
import io.trellis.api.metrics.Metrics;
import io.trellis.api.metrics.MetricsHandlerFactory;
import io.trellis.api.metrics.RoutesRequest;
import io.trellis.api.metrics.RoutesResponse;
import io.trellis.api.metrics.StatRequest;
import io.trellis.api.metrics.StatResponse;
import io.trellis.config.MeshConfig;
import io.trellis.discovery.MeshUpdates;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * The metrics gRPC API: {@link StatQueries} over Prometheus when {@code trellis.metrics.
 * prometheus-url} is set, else over this node's rolling windows. Each node answers from its own
 * source: with rolling windows every node scrapes every proxy itself (a mesh.conf mesh is small),
 * so any node answers any query and no state moves between nodes.
 */
public final class MetricsGrpcService implements Metrics {
  private final StatQueries queries;

  public MetricsGrpcService(StatQueries queries) {
    this.queries = queries;
  }

  /**
   * Starts this node's metrics source (the scraper actor, for rolling windows) and returns the
   * API's handler for the control plane's gRPC port.
   */
  public static Function<HttpRequest, CompletionStage<HttpResponse>> start(
      ActorContext<?> ctx, MeshUpdates mesh) {
    return start(ctx, mesh, mesh::current);
  }

  /**
   * As {@link #start(ActorContext, MeshUpdates)}, answering from {@code effective}: mesh.conf with
   * the applied resources over it, so that {@code stat ts} lists applied TrafficSplits.
   */
  public static Function<HttpRequest, CompletionStage<HttpResponse>> start(
      ActorContext<?> ctx, MeshUpdates mesh, Supplier<MeshConfig> effective) {
    MetricsSettings settings = MetricsSettings.forMesh(mesh.current());
    Supplier<MeshConfig> current = mesh::current;
    MetricsSource source;
    if (settings.prometheusUrl() != null) {
      source = new PrometheusSource(settings.prometheusUrl(), settings.queryTimeout());
    } else {
      AtomicReference<RollingWindows.Snapshot> windows =
          new AtomicReference<>(RollingWindows.Snapshot.EMPTY);
      ctx.spawn(Scraper.create(current, settings, windows), "metrics-scraper");
      source = new RollingWindows(windows::get);
    }
    ctx.getLog().info("metrics API: numbers from {}", source.describe());
    MetricsGrpcService service =
        new MetricsGrpcService(new StatQueries(source, effective, settings.retention()));
    return MetricsHandlerFactory.partial(service, Metrics.name, ctx.getSystem());
  }

  @Override
  public CompletionStage<StatResponse> statSummary(StatRequest in) {
    return answer(() -> queries.stat(in));
  }

  @Override
  public CompletionStage<EdgesResponse> edges(EdgesRequest in) {
    return answer(() -> queries.edges(in));
  }

  @Override
  public CompletionStage<RoutesResponse> routes(RoutesRequest in) {
    return answer(() -> queries.routes(in));
  }

  /** Bad requests become INVALID_ARGUMENT, an unreachable source UNAVAILABLE, with the reason. */
  private static <T> CompletionStage<T> answer(Supplier<CompletionStage<T>> query) {
    CompletionStage<T> result;
    try {
      result = query.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(status(e));
    }
    return result.handle((ok, failure) -> {
      if (failure != null) {
        throw status(failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure);
      }
      return ok;
    });
  }

  private static GrpcServiceException status(Throwable e) {
    Status s = e instanceof StatQueries.BadRequest ? Status.INVALID_ARGUMENT
        : e instanceof MetricsException ? Status.UNAVAILABLE : Status.INTERNAL;
    return new GrpcServiceException(s.withDescription(String.valueOf(e.getMessage())));
  }
}
