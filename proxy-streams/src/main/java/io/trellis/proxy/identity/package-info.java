/**
 * The proxy's identity: its certificate from the control plane's identity service, renewed at
 * 70% of its remaining lifetime, as the {@link io.trellis.identity.tls.MeshCredentials} the
 * data plane's TLS reads ({@link io.trellis.proxy.identity.ProxyIdentity}).
 */
package io.trellis.proxy.identity;
