package io.trellis.discovery;

import io.trellis.config.MeshConfig;
import io.trellis.config.MeshConfigException;
import io.trellis.config.MeshConfigLoader;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh as {@code mesh.conf} says, kept current while the file is edited.
 *
 * <p>One daemon thread watches mesh.conf and the resources it lists: it waits on a WatchService
 * for the directories involved, at most {@code pollInterval}, then compares a fingerprint (size,
 * mtime, ctime and checksum of every file; a file is read for its checksum again only when its
 * ctime is not older than the last fingerprint) with the last one, so an edit is seen even where
 * file events are lost or coarse. On a change it reloads; a snapshot equal to the current one is not
 * published. An invalid edit is logged with the loader's message (file:line: key: reason) and the
 * last valid snapshot stays in force. Listeners run on the watcher thread (or, for the first
 * call, on the subscriber's), one at a time and in order.
 */
public final class HoconMeshSource implements MeshUpdates, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HoconMeshSource.class);

  /** Edits often come as several writes (truncate, write, rename): wait until they settle. */
  private static final Duration SETTLE = Duration.ofMillis(50);

  private static final int MAX_SETTLE_ROUNDS = 20;

  /** Reads and validates a mesh. Throws (unchecked) with a message naming file, line and key. */
  @FunctionalInterface
  public interface Loader {
    MeshConfig load(Path meshConf);
  }

  private final Path file;
  private final Duration pollInterval;
  private final Loader loader;
  private final WatchService watcher;
  private final Map<Path, WatchKey> watchedDirectories = new HashMap<>();
  private final List<Consumer<MeshConfig>> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<RuntimeException>> failureListeners = new CopyOnWriteArrayList<>();
  /** Serializes listener calls: subscribe's first call and the watcher's notifications. */
  private final Object notifying = new Object();
  private final Thread thread;
  private volatile MeshConfig current;
  private volatile RuntimeException lastFailure;
  private volatile boolean closed;
  // Owned by the watcher thread after start.
  private List<Path> files;
  private List<WatchedFiles.Stamp> fingerprint;
  /** Wall-clock time just before {@link #fingerprint} was taken. */
  private long fingerprintedAt;

  private HoconMeshSource(Path file, Duration pollInterval, Loader loader) throws IOException {
    this.file = file.toAbsolutePath().normalize();
    this.pollInterval = pollInterval;
    this.loader = loader;
    this.watcher = FileSystems.getDefault().newWatchService();
    this.thread = new Thread(this::run, "trellis-mesh-watch-" + this.file.getFileName());
    this.thread.setDaemon(true);
  }

  /**
   * Loads {@code meshConf} with {@link MeshConfigLoader} and starts watching it.
   *
   * @param pollInterval the longest an edit can go unnoticed when no file event arrives
   * @throws MeshConfigException when the initial file is invalid: a source never starts without a
   *     valid mesh
   * @throws IOException when no WatchService can be created
   */
  public static HoconMeshSource start(Path meshConf, Duration pollInterval) throws IOException {
    return start(meshConf, pollInterval, MeshConfigLoader::load);
  }

  /**
   * Loads {@code meshConf} with {@code loader} and starts watching it.
   *
   * @param pollInterval the longest an edit can go unnoticed when no file event arrives
   * @param loader how to read a mesh (tests wrap {@link MeshConfigLoader#load} to observe loads)
   * @throws RuntimeException the loader's error when the initial file is invalid: a source never
   *     starts without a valid mesh
   * @throws IOException when no WatchService can be created
   */
  public static HoconMeshSource start(Path meshConf, Duration pollInterval, Loader loader)
      throws IOException {
    Objects.requireNonNull(loader, "loader");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
    }
    HoconMeshSource source = new HoconMeshSource(meshConf, pollInterval, loader);
    source.files = WatchedFiles.of(source.file).orElse(List.of(source.file));
    source.fingerprintedAt = System.currentTimeMillis();
    source.fingerprint = WatchedFiles.fingerprint(source.files);
    source.current = loader.load(source.file);
    source.watch(source.files);
    source.thread.start();
    return source;
  }

  @Override
  public MeshConfig current() {
    return current;
  }

  @Override
  public void subscribe(Consumer<MeshConfig> listener) {
    synchronized (notifying) {
      listeners.add(listener);
      call(listener, current);
    }
  }

  /** Registers a listener for invalid edits (the last valid snapshot stays in force). */
  public void subscribeFailures(Consumer<RuntimeException> listener) {
    failureListeners.add(listener);
  }

  /** The error of the last reload if it failed, empty once a later reload succeeds. */
  public Optional<RuntimeException> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    closed = true;
    try {
      watcher.close(); // wakes the watcher thread
    } catch (IOException e) {
      log.debug("closing the watch service of {}", file, e);
    }
    try {
      thread.join(Duration.ofSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      while (!closed) {
        WatchKey key = watcher.poll(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        if (key != null) {
          drain(key);
          settle();
        }
        checkForChanges();
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed
    } catch (RuntimeException e) {
      log.error("watching {} stopped", file, e);
    }
  }

  /** Swallows further events until none came for {@link #SETTLE} (bounded). */
  private void settle() throws InterruptedException {
    for (int i = 0; i < MAX_SETTLE_ROUNDS; i++) {
      WatchKey more = watcher.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
      if (more == null) {
        return;
      }
      drain(more);
    }
  }

  private static void drain(WatchKey key) {
    key.pollEvents();
    key.reset();
  }

  private void checkForChanges() {
    long at = System.currentTimeMillis();
    List<WatchedFiles.Stamp> now = WatchedFiles.fingerprint(files, fingerprint, fingerprintedAt);
    fingerprintedAt = at;
    if (now.equals(fingerprint)) {
      return;
    }
    fingerprint = now;
    // mesh.conf may list other resources now; an unparsable one keeps the old list.
    WatchedFiles.of(file).ifPresent(fresh -> {
      if (!fresh.equals(files)) {
        files = fresh;
        fingerprintedAt = System.currentTimeMillis();
        fingerprint = WatchedFiles.fingerprint(files);
        watch(files);
      }
    });
    reload();
  }

  private void reload() {
    MeshConfig next;
    try {
      next = loader.load(file);
    } catch (RuntimeException e) {
      lastFailure = e;
      // The loader's message names the file, line and key already.
      log.error("mesh not applied, keeping the last valid one: {}", e.getMessage());
      failureListeners.forEach(l -> callFailure(l, e));
      return;
    }
    lastFailure = null;
    if (next.equals(current)) {
      log.debug("{} changed, the mesh did not", file);
      return;
    }
    log.info("{} reloaded", file);
    synchronized (notifying) {
      current = next;
      listeners.forEach(l -> call(l, next));
    }
  }

  private void watch(List<Path> paths) {
    Set<Path> wanted = WatchedFiles.directoriesOf(paths);
    watchedDirectories.entrySet().removeIf(e -> {
      if (!wanted.contains(e.getKey())) {
        e.getValue().cancel();
        return true;
      }
      return false;
    });
    for (Path dir : wanted) {
      if (!watchedDirectories.containsKey(dir)) {
        try {
          watchedDirectories.put(dir, dir.register(watcher,
              StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_MODIFY,
              StandardWatchEventKinds.ENTRY_DELETE));
        } catch (IOException | ClosedWatchServiceException e) {
          // Polling still sees the edits, only later.
          log.warn("cannot watch {} ({}); relying on polling every {}", dir, e, pollInterval);
        }
      }
    }
  }

  private void call(Consumer<MeshConfig> listener, MeshConfig mesh) {
    try {
      listener.accept(mesh);
    } catch (RuntimeException e) {
      log.error("a listener of {} failed", file, e);
    }
  }

  private void callFailure(Consumer<RuntimeException> listener, RuntimeException failure) {
    try {
      listener.accept(failure);
    } catch (RuntimeException e) {
      log.error("a failure listener of {} failed", file, e);
    }
  }
}
