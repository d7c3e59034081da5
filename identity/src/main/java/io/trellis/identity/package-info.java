/**
 * Identity: the trust anchor and issuer (Bouncycastle, ECDSA P-256), CSR signing and the
 * proxies' certificates for mTLS (issue 6).
 *
 * <p>This package holds the values every part shares: {@link io.trellis.identity.IdentityName}
 * and {@link io.trellis.identity.IdentitySettings}. Sub-packages, from the root of trust down:
 * {@code ca} (anchor, issuer, state directory), {@code token} (who may ask for which name),
 * {@code csr} (requests and signing), {@code trust} (bundles and chain verification), {@code
 * renew} (when to renew), {@code tls} (the proxy's SSLContext), and the building blocks {@code
 * x509} and {@code pem}. See docs/identity.md.
 */
package io.trellis.identity;
