package io.trellis.actors.tap;

import io.grpc.Status;
import io.trellis.api.tap.Tap;
import io.trellis.api.tap.TapClient;
import io.trellis.api.tap.TapEvent;
import io.trellis.api.tap.TapRequest;
import io.trellis.config.HostPort;
import io.trellis.config.MeshConfig;
import io.trellis.config.WorkloadConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.japi.JavaPartialFunction;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Tap through the control plane: {@code trellis tap deploy/web} asks here; this resolves the
 * resource against the mesh, opens Observe on each of its workloads' proxies (their tap ports),
 * merges the streams, keeps what {@code to} asks for and names both ends ({@code deploy/NAME}). A
 * proxy that cannot be reached becomes one NOTICE event naming it; the others keep streaming.
 */
public final class ControlPlaneTap implements Tap {
  private final ActorSystem<?> system;
  private final Supplier<MeshConfig> mesh;

  public ControlPlaneTap(ActorSystem<?> system, Supplier<MeshConfig> mesh) {
    this.system = system;
    this.mesh = mesh;
  }

  @Override
  public Source<TapEvent, NotUsed> observe(TapRequest in) {
    MeshConfig m = mesh.get();
    List<WorkloadConfig> workloads;
    Predicate<TapEvent> to;
    try {
      if (!in.getNamespace().isEmpty() && !in.getNamespace().equals(m.namespace())) {
        throw new IllegalArgumentException(
            "namespace " + in.getNamespace() + ": this mesh's namespace is " + m.namespace());
      }
      workloads = Resource.parse(in.getResource(), "resource").workloads(m);
      to = in.getTo().isEmpty() ? e -> true : to(Resource.parse(in.getTo(), "--to"), m);
    } catch (IllegalArgumentException e) {
      return Source.failed(
          new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(e.getMessage())));
    }
    if (workloads.isEmpty()) {
      return Source.failed(
          new GrpcServiceException(
              Status.NOT_FOUND.withDescription(in.getResource() + ": no workload serves it")));
    }
    Names names = new Names(m);
    TapRequest forward = in.toBuilder().clearResource().clearNamespace().clearTo().build();
    Source<TapEvent, NotUsed> merged = null;
    for (WorkloadConfig w : workloads) {
      Source<TapEvent, NotUsed> one = proxy(w, forward, names);
      merged = merged == null ? one : merged.merge(one);
    }
    Source<TapEvent, NotUsed> events =
        merged.filter(e -> e.getKind() == TapEvent.Kind.NOTICE || to.test(e));
    return in.getLimit() > 0 ? events.take(in.getLimit()) : events;
  }

  /** One proxy's events, with names; its failure is a notice, not the end of the whole tap. */
  private Source<TapEvent, NotUsed> proxy(WorkloadConfig w, TapRequest request, Names names) {
    HostPort at = w.proxy().tap();
    TapClient client =
        TapClient.create(
            GrpcClientSettings.connectToServiceAt(at.host(), at.port(), system).withTls(false),
            system);
    return client
        .observe(request)
        .map(e -> names.name(e, w))
        .recover(
            new JavaPartialFunction<Throwable, TapEvent>() {
              @Override
              public TapEvent apply(Throwable failure, boolean isCheck) {
                return unreachable(w, at, failure);
              }
            })
        .watchTermination(
            (mat, done) -> {
              done.whenComplete((ok, failure) -> client.close());
              return NotUsed.getInstance();
            });
  }

  private static TapEvent unreachable(WorkloadConfig w, HostPort at, Throwable failure) {
    String why = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    return TapEvent.newBuilder()
        .setKind(TapEvent.Kind.NOTICE)
        .setProxy(w.name())
        .setMessage("proxy deploy/" + w.name() + " (tap " + at + "): " + why)
        .build();
  }

  /** Outbound events whose destination is the resource. */
  private static Predicate<TapEvent> to(Resource resource, MeshConfig mesh) {
    List<String> names;
    try {
      names = resource.workloads(mesh).stream().map(w -> "deploy/" + w.name()).toList();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--to " + e.getMessage(), e);
    }
    return e -> e.getProxyDirection().equals("out") && names.contains(e.getDstResource());
  }

  /** deploy/NAME by address: workloads' inbound listeners, and their own addresses. */
  static final class Names {
    private final Map<String, String> byListener = new HashMap<>();
    private final Map<String, String> byHost = new HashMap<>();

    Names(MeshConfig mesh) {
      for (WorkloadConfig w : mesh.workloads().values()) {
        String name = "deploy/" + w.name();
        byListener.put(w.proxy().inbound().toString(), name);
        byListener.put(w.app().toString(), name);
        byHost.put(w.address(), name);
      }
    }

    TapEvent name(TapEvent e, WorkloadConfig proxy) {
      if (e.getKind() == TapEvent.Kind.NOTICE) {
        return e.toBuilder().setProxy(proxy.name())
            .setMessage("proxy deploy/" + proxy.name() + ": " + e.getMessage()).build();
      }
      String self = "deploy/" + proxy.name();
      boolean out = e.getProxyDirection().equals("out");
      return e.toBuilder()
          .setProxy(proxy.name())
          .setSrcResource(out ? self : byAddress(e.getSrc()))
          .setDstResource(out ? byAddress(e.getDst()) : self)
          .build();
    }

    private String byAddress(String ipPort) {
      String name = byListener.get(ipPort);
      if (name != null) {
        return name;
      }
      int colon = ipPort.lastIndexOf(':');
      return colon < 0 ? "" : byHost.getOrDefault(ipPort.substring(0, colon), "");
    }
  }
}
