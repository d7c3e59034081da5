/**
 * Mutual TLS between proxies, on the JDK's TLS 1.3. {@link
 * io.trellis.identity.tls.MeshCredentials} holds the proxy's current leaf and trust bundle and is
 * updated on renewal; {@link io.trellis.identity.tls.TlsContexts} builds one {@code SSLContext}
 * over it whose key manager and trust manager read that holder on every handshake, so a renewed
 * certificate or a new bundle applies to the next connection without restarting a listener.
 *
 * <p>Servers require a client certificate. Clients verify the server's identity name, which
 * comes from discovery (never from DNS): the expected name travels in the SNI of the client's
 * engine, as linkerd2-proxy sends it, and the trust manager compares it with the server leaf's
 * only DNS SAN. {@link io.trellis.identity.tls.PeerIdentity} reads the verified peer's identity
 * from a session for metrics ({@code client_id}, {@code server_id}) and policy.
 */
package io.trellis.identity.tls;
