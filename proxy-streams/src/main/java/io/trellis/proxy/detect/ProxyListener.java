package io.trellis.proxy.detect;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** A proxy port (outbound or inbound), whatever transport serves it. */
public interface ProxyListener {
  InetSocketAddress localAddress();

  /** Stops accepting connections; connections already open stay. */
  CompletionStage<Done> unbind();

  /** Stops accepting and lets requests in flight finish for up to {@code deadline}. */
  CompletionStage<Done> terminate(Duration deadline);
}
