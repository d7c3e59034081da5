/**
 * Identity: the trust anchor and issuer (Bouncycastle, ECDSA P-256), CSR signing and the proxies' certificates for mTLS (issue 6).
 */
package io.trellis.identity;
