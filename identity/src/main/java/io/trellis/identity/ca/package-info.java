/**
 * The mesh's certificate authority: a self-signed {@link io.trellis.identity.ca.TrustAnchor}
 * (the root every proxy trusts) and an {@link io.trellis.identity.ca.Issuer} it signs, which in
 * turn signs the proxies' leaf certificates. {@link io.trellis.identity.ca.Ca} pairs the two and
 * rotates them; {@link io.trellis.identity.ca.CaFiles} loads a CA a user brings as PEM files and
 * {@link io.trellis.identity.ca.CaStore} keeps one in the control plane's state directory,
 * creating it on first start so that mTLS is on by default.
 *
 * <p>Keys are ECDSA P-256. The anchor allows one intermediate (pathLen 1), the issuer none
 * (pathLen 0): nothing below a leaf can ever sign.
 */
package io.trellis.identity.ca;
