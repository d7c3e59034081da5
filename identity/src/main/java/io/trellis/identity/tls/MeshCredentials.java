package io.trellis.identity.tls;

import io.trellis.identity.trust.TrustBundle;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The proxy's current TLS material, swapped atomically: its leaf (absent until the first
 * certificate arrives; the proxy is not ready and refuses inbound TLS until then) and the trust
 * bundle. The identity client writes it; the key and trust managers read it per handshake.
 */
public final class MeshCredentials {

  /**
   * One consistent view. The previous leaf is kept one generation so that a handshake that
   * chose an alias just before a renewal still finds the key and chain of that alias.
   */
  record Snapshot(long generation, LeafCredentials current, LeafCredentials previous,
      TrustBundle bundle) {}

  private final AtomicReference<Snapshot> state;

  public MeshCredentials(TrustBundle bundle) {
    state = new AtomicReference<>(new Snapshot(0, null, null, Objects.requireNonNull(bundle)));
  }

  private MeshCredentials() {
    state = new AtomicReference<>(new Snapshot(0, null, null, null));
  }

  /**
   * Credentials that exist before their trust bundle and first leaf (the proxy's identity client
   * fills them in): every handshake is refused until both arrive. The data plane builds its TLS
   * contexts on this one object at start.
   */
  public static MeshCredentials awaitingFirst() {
    return new MeshCredentials();
  }

  /** Installs a new leaf (first issuance or renewal). Connections already open are unaffected. */
  public void update(LeafCredentials leaf) {
    Objects.requireNonNull(leaf, "leaf");
    state.updateAndGet(s -> new Snapshot(s.generation() + 1, leaf, s.current(), s.bundle()));
  }

  /** Installs a new trust bundle (anchor rotation). */
  public void updateBundle(TrustBundle bundle) {
    Objects.requireNonNull(bundle, "bundle");
    state.updateAndGet(s -> new Snapshot(s.generation(), s.current(), s.previous(), bundle));
  }

  /** The current leaf, if one has arrived. */
  public Optional<LeafCredentials> current() {
    return Optional.ofNullable(state.get().current());
  }

  /** The trust bundle; null only for {@link #awaitingFirst()} credentials before the first one. */
  public TrustBundle bundle() {
    return state.get().bundle();
  }

  /** True once a trust bundle is installed. */
  public boolean hasBundle() {
    return state.get().bundle() != null;
  }

  /** True once a leaf is installed: the proxy may report ready and accept inbound TLS. */
  public boolean isReady() {
    Snapshot s = state.get();
    return s.current() != null && s.bundle() != null;
  }

  Snapshot snapshot() {
    return state.get();
  }
}
