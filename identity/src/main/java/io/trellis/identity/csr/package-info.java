/**
 * Certificate signing requests, both sides. The proxy makes a {@link
 * io.trellis.identity.csr.LeafRequest}: a key pair generated in the proxy (the private key never
 * leaves it) and a PKCS#10 CSR carrying exactly one DNS SAN, its identity name. The control
 * plane's {@link io.trellis.identity.csr.CsrSigner} signs it only after checking the caller's
 * token proves that identity, the CSR's signature and SAN, and that its issuer is valid; every
 * refusal is an {@link io.trellis.identity.csr.IssuanceException} with a reason and a message
 * meant for the proxy's log.
 */
package io.trellis.identity.csr;
