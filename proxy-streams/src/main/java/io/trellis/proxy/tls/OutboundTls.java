package io.trellis.proxy.tls;

import io.trellis.identity.IdentityName;
import io.trellis.identity.tls.TlsContexts;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.util.ByteString;

/**
 * TLS origination towards meshed endpoints: TLS 1.3, the workload's certificate presented, and
 * the server's certificate must carry the identity discovery announced for the endpoint (the
 * trust manager refuses the handshake otherwise: "the server is X, expected Y").
 */
public final class OutboundTls {
  private final TlsContexts contexts;

  public OutboundTls(TlsContexts contexts) {
    this.contexts = contexts;
  }

  /** For pekko-http clients (HTTP/1.1 pools, HTTP/2 connections); {@code alpn} offered. */
  public HttpsConnectionContext http(IdentityName expected, boolean http2) {
    return ConnectionContext.httpsClient(
        (host, port) -> engine(expected, http2 ? Alpn.H2 : Alpn.HTTP11));
  }

  /** Opaque TCP over mTLS: {@code transport} is the plaintext TCP connection to the endpoint. */
  public Flow<ByteString, ByteString, NotUsed> opaque(
      IdentityName expected, Flow<ByteString, ByteString, NotUsed> transport) {
    return over(expected, Alpn.OPAQUE, transport);
  }

  private Flow<ByteString, ByteString, NotUsed> over(
      IdentityName expected, String alpn, Flow<ByteString, ByteString, NotUsed> transport) {
    var tls = TLS.create(() -> engine(expected, alpn), TLSClosing.eagerClose());
    return Flow.<ByteString>create()
        .map(bytes -> (TLSProtocol.SslTlsOutbound) new TLSProtocol.SendBytes(bytes))
        .via(tls.join(transport))
        .collectType(TLSProtocol.SessionBytes.class)
        .map(TLSProtocol.SessionBytes::bytes);
  }

  /**
   * HTTP/1.1 over mTLS ({@code http/1.1} offered by ALPN) for the fused path: {@code transport}
   * is the plaintext TCP connection to the endpoint's proxy.
   */
  public Flow<ByteString, ByteString, NotUsed> http1(
      IdentityName expected, Flow<ByteString, ByteString, NotUsed> transport) {
    return over(expected, Alpn.HTTP11, transport);
  }

  private SSLEngine engine(IdentityName expected, String alpn) {
    SSLEngine engine = contexts.clientEngine(expected);
    SSLParameters params = engine.getSSLParameters();
    params.setApplicationProtocols(new String[] {alpn});
    engine.setSSLParameters(params);
    return engine;
  }
}
