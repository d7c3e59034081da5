package io.trellis.proxy.detect;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * What an {@link HttpListener} does with connections that are not plaintext HTTP: the inbound
 * listener terminates mTLS ({@link Detected#TLS}) and forwards opaque TCP ({@link
 * Detected#OPAQUE}); a listener without one serves everything that is not h2c as HTTP/1.1.
 */
public interface OtherProtocols {

  /**
   * The flow serving one connection; its bytes start with the detected head.
   *
   * @param http the listener's own HTTP servers, for HTTP found inside TLS
   */
  Flow<ByteString, ByteString, NotUsed> serve(
      Detected kind, InetSocketAddress remote, HttpServers http);

  /**
   * Whether the workload's port is opaque: HTTP detection is skipped, only a TLS ClientHello (a
   * peer proxy always speaks first) is told from anything else, which is forwarded as opaque TCP.
   */
  default boolean opaque() {
    return false;
  }

  /** How detection reads a connection's first bytes: a bounded prefix, a bounded wait. */
  Limits limits();

  /** The listener's HTTP servers, by protocol ({@link Detected#HTTP1} or {@link Detected#HTTP2}). */
  interface HttpServers {
    /**
     * @param peerIdentity the identity the connection's mTLS session verified: every request of
     *     the connection carries it as {@link io.trellis.proxy.http.Exchange#PEER_IDENTITY}
     */
    Flow<ByteString, ByteString, NotUsed> serve(
        Detected kind, InetSocketAddress remote, String peerIdentity);
  }

  /**
   * @param maxPrefix bytes read at most before deciding
   * @param timeout how long to wait for the prefix; then what arrived decides (nothing: opaque)
   */
  record Limits(int maxPrefix, Duration timeout) {}
}
