package io.trellis.proxy.transport;

import com.typesafe.config.Config;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;

/**
 * Makes an {@link EventLoop} a pekko dispatcher's executor, so that actors on the dispatcher (the
 * stream interpreters of {@link ChannelStage}s) run on the selector's thread:
 *
 * <pre>
 * my-loop-dispatcher {
 *   type = Dispatcher
 *   executor = "io.trellis.proxy.transport.EventLoopExecutorConfigurator"
 *   throughput = 64
 * }
 * </pre>
 *
 * <p>One loop per dispatcher, created on first use and kept for the life of the JVM (a daemon
 * thread): pekko shuts an idle dispatcher's executor down and asks for a new one later, but the
 * loop's selector holds the registered channels, so the executor handed to pekko is a view whose
 * shutdown leaves the loop running.
 */
public final class EventLoopExecutorConfigurator extends ExecutorServiceConfigurator {
  private EventLoop loop;

  public EventLoopExecutorConfigurator(Config config, DispatcherPrerequisites prerequisites) {
    super(config, prerequisites);
  }

  @Override
  public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory unused) {
    return () -> new LoopView(loopFor(id));
  }

  private synchronized EventLoop loopFor(String id) {
    if (loop == null) {
      loop = new EventLoop(id);
    }
    return loop;
  }

  /** What pekko sees: the loop's execute; shutdown ends only this view. */
  private static final class LoopView extends AbstractExecutorService {
    private final EventLoop loop;
    private volatile boolean shut;

    LoopView(EventLoop loop) {
      this.loop = loop;
    }

    @Override
    public void execute(Runnable command) {
      loop.execute(command);
    }

    @Override
    public void shutdown() {
      shut = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shut = true;
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return shut;
    }

    @Override
    public boolean isTerminated() {
      return shut;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return shut;
    }
  }
}
