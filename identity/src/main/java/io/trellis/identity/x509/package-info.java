/**
 * X.509 building blocks shared by the CA and the proxy: ECDSA P-256 keys, signing, serial
 * numbers and reading a certificate's DNS SANs. No policy lives here; the CA's and the
 * proxy's rules are in {@code ca}, {@code csr} and {@code tls}.
 */
package io.trellis.identity.x509;
