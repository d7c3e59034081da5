package io.trellis.cli;

import io.trellis.api.tap.TapEvent;
import io.trellis.api.tap.TapRequest;
import io.trellis.cli.profile.ObservedRequests;
import io.trellis.config.HostPort;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code trellis profile --tap}'s traffic: the control plane's Tap API, live, for {@code
 * --tap-duration}. Only the workload's inbound {@code req} events count (what it serves, not what
 * it calls); notices (dropped events, an unreachable proxy) go to stderr as {@code trellis tap}
 * prints them. Keeps the distinct method and path pairs in the order first seen, at most {@link
 * #MAX_DISTINCT}, so a long observation of varied paths stays bounded.
 */
final class TapObservedRequests implements ObservedRequests {
  /** Distinct requests kept; route inference keeps far fewer routes (--tap-route-limit). */
  static final int MAX_DISTINCT = 10_000;

  /** Requests per second tapped at most per proxy, as {@code trellis tap}'s default. */
  private static final double MAX_RPS = 100;

  private final HostPort controlPlane;
  private final PrintWriter err;

  TapObservedRequests(HostPort controlPlane, PrintWriter err) {
    this.controlPlane = controlPlane;
    this.err = err;
  }

  @Override
  public List<Request> observe(String workload, String namespace, Duration duration) {
    TapRequest request =
        TapRequest.newBuilder()
            .setResource("deploy/" + workload)
            .setNamespace(namespace)
            .setMaxRps(MAX_RPS)
            .build();
    Set<Request> seen = new LinkedHashSet<>();
    int code =
        TapStream.run(
            "profile",
            controlPlane,
            request,
            duration,
            e -> {
              if (e.getKind() == TapEvent.Kind.REQ
                  && e.getProxyDirection().equals("in")
                  && seen.size() < MAX_DISTINCT) {
                seen.add(new Request(e.getMethod(), e.getPath()));
              }
            },
            err);
    if (code != TapStream.OK) {
      // TapStream has said why on stderr (control plane unreachable, no such workload).
      throw new TapUnavailableException(null, code);
    }
    return new ArrayList<>(seen);
  }
}
