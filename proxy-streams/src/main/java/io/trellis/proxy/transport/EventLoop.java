package io.trellis.proxy.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One thread that owns a {@link Selector} and runs queued tasks between selects (Netty's event
 * loop shape). Readiness of a registered channel calls its {@link Handler} on this thread. As an
 * {@link java.util.concurrent.ExecutorService} it can be a pekko dispatcher's executor (see
 * {@link EventLoopExecutorConfigurator}): stream actors on that dispatcher then run on the same
 * thread as the selector, and readiness reaches a stage without crossing threads.
 *
 * <p>A task submitted from another thread wakes the selector once (at most one {@code wakeup()}
 * per select); a task submitted from the loop itself never does.
 */
public final class EventLoop extends AbstractExecutorService implements AutoCloseable {

  /** Called on the loop thread with the ready operations of a key. */
  @FunctionalInterface
  public interface Handler {
    void ready(SelectionKey key, int readyOps);
  }

  /**
   * A handler whose {@code OP_READ} interest stays set when it fires (level-triggered), where
   * every other readiness is one-shot. The handler takes {@code OP_READ} out of the interest set
   * itself ({@link #disarm}) when it cannot read, and must when the socket reached end of stream.
   * A connection read after every readiness then never changes its interest set, and the selector
   * makes no {@code epoll_ctl} call per read: with one-shot reads the proxy made one for every
   * read and write it did (bench/RESULTS.md, session 5).
   */
  public interface ReadKeepingHandler extends Handler {}

  /** The loop thread's type, so that code running on it can find its loop. */
  private static final class LoopThread extends Thread {
    final EventLoop loop;

    LoopThread(EventLoop loop, String name) {
      super(name);
      this.loop = loop;
      setDaemon(true);
    }

    @Override
    public void run() {
      loop.runLoop();
    }
  }

  /** Most tasks run per turn before selecting again, so that I/O is never starved by tasks. */
  private static final int MAX_TASKS_PER_TURN = 1024;

  private final Selector selector;
  /** Called by the select for each ready key (one instance, made once). */
  private final Consumer<SelectionKey> dispatcher = this::dispatch;
  private final LoopThread thread;
  /** Tasks from other threads. */
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /**
   * Tasks the loop gives itself (most of them: a stream's mailbox scheduled by the readiness it
   * handled), touched by the loop thread only: no queue node per task, as the concurrent queue
   * allocates one (5.6 % of the bytes a proxy allocated at 2,000 req/s, JFR, session 8).
   */
  private final ArrayDeque<Runnable> ownTasks = new ArrayDeque<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private volatile boolean closing;
  // Diagnostics for tests, plain fields written by the loop thread only (no fence per turn on
  // the hot path): a reader sees them through a task it ran on the loop and waited for.
  /** Readiness events delivered to handlers. */
  private long dispatched;
  /** Selects done. */
  private long turns;

  public EventLoop(String name) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector for event loop " + name, e);
    }
    thread = new LoopThread(this, name);
    thread.start();
  }

  /** The loop whose thread runs the caller, or null when the caller is not on a loop thread. */
  public static EventLoop current() {
    return Thread.currentThread() instanceof LoopThread t ? t.loop : null;
  }

  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /**
   * Readiness events delivered to handlers so far (for tests): exact after a task the caller
   * ran on the loop and waited for.
   */
  long dispatched() {
    return dispatched;
  }

  /** Selects done so far (for tests): as {@link #dispatched()}. */
  long turns() {
    return turns;
  }

  /** Registers {@code channel} (non-blocking) for {@code ops}; call on the loop thread only. */
  public SelectionKey register(SelectableChannel channel, int ops, Handler handler)
      throws ClosedChannelException {
    assertInLoop();
    return channel.register(selector, ops, handler);
  }

  /**
   * Adds {@code ops} to a key's interest set. Readiness is one-shot (but {@code OP_READ} for a
   * {@link ReadKeepingHandler}): the loop removes the ops that fired before calling the handler,
   * so a handler arms again when it wants more. From another
   * thread the change is handed to the loop (the JDK's selector applies an interest change only at
   * its next select, so the loop must be woken).
   */
  public void arm(SelectionKey key, int ops) {
    if (inLoop()) {
      if (key.isValid()) {
        key.interestOpsOr(ops);
      }
    } else {
      execute(() -> arm(key, ops));
    }
  }

  /**
   * Takes {@code ops} out of a key's interest set; from another thread the change is handed to the
   * loop.
   */
  public void disarm(SelectionKey key, int ops) {
    if (inLoop()) {
      if (key.isValid()) {
        key.interestOpsAnd(~ops);
      }
    } else {
      execute(() -> disarm(key, ops));
    }
  }

  @Override
  public void execute(Runnable task) {
    if (closing) {
      throw new RejectedExecutionException("event loop " + thread.getName() + " is closed");
    }
    if (inLoop()) {
      ownTasks.add(task); // the loop runs it before it selects again
      return;
    }
    tasks.add(task);
    if (wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  private void assertInLoop() {
    if (!inLoop()) {
      throw new IllegalStateException("not on event loop thread " + thread.getName());
    }
  }

  private void runLoop() {
    while (!closing) {
      try {
        // The select calls dispatch for each ready key: no selected-key set, so no set entry and
        // no iterator per readiness (1.4 % of the proxy's allocation, JFR).
        if (tasks.isEmpty() && ownTasks.isEmpty()) {
          selector.select(dispatcher);
        } else {
          selector.selectNow(dispatcher);
        }
        turns++; // one writer: the loop thread
        // Tasks added after this point wake the next select; tasks added before it run below.
        wakeupPending.set(false);
        runTasks();
      } catch (IOException | RuntimeException e) {
        // A handler or task must handle its own errors; the loop survives a broken one.
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, e);
      }
    }
    closeSelector();
  }

  private void dispatch(SelectionKey key) {
    dispatched++; // one writer: the loop thread
    try {
      int ready = key.readyOps();
      Handler handler = (Handler) key.attachment();
      int oneShot = handler instanceof ReadKeepingHandler ? ready & ~SelectionKey.OP_READ : ready;
      if (oneShot != 0) {
        key.interestOpsAnd(~oneShot);
      }
      handler.ready(key, ready);
    } catch (CancelledKeyException e) {
      // closed by its owner (possibly from another thread) since the select: nothing to deliver
    } catch (RuntimeException e) {
      Thread t = Thread.currentThread();
      t.getUncaughtExceptionHandler().uncaughtException(t, e);
    }
  }

  private void runTasks() {
    for (int i = 0; i < MAX_TASKS_PER_TURN; i++) {
      // Both queues take turns, so neither starves the other.
      Runnable task;
      if ((i & 1) == 0) {
        task = ownTasks.poll();
        if (task == null) {
          task = tasks.poll();
        }
      } else {
        task = tasks.poll();
        if (task == null) {
          task = ownTasks.poll();
        }
      }
      if (task == null) {
        return;
      }
      try {
        task.run();
      } catch (RuntimeException e) {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, e);
      }
    }
  }

  private void closeSelector() {
    for (SelectionKey key : selector.keys()) {
      try {
        key.channel().close();
      } catch (IOException ignored) {
        // closing everything anyway
      }
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }

  /** Stops the loop and closes every channel still registered with it. */
  @Override
  public void close() {
    shutdown();
    if (!inLoop()) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void shutdown() {
    closing = true;
    selector.wakeup();
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown();
    List<Runnable> left = new ArrayList<>(tasks);
    tasks.clear();
    if (inLoop()) {
      left.addAll(ownTasks);
      ownTasks.clear();
    }
    return left;
  }

  @Override
  public boolean isShutdown() {
    return closing;
  }

  @Override
  public boolean isTerminated() {
    return closing && !thread.isAlive();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    thread.join(Math.max(1, unit.toMillis(timeout)));
    return !thread.isAlive();
  }
}
