/**
 * How a caller proves which workload it is before the CA signs its CSR. A {@link
 * io.trellis.identity.token.TokenValidator} turns a bearer token into the identity it proves.
 * In HOCON mode that is {@link io.trellis.identity.token.WorkloadTokens}: one random token per
 * workload of mesh.conf, kept in the control plane's state directory with owner-only
 * permissions, where a proxy started with {@code --workload NAME} reads its own. In Kubernetes
 * mode a ServiceAccount token checked with a TokenReview will implement the same interface
 * (a later issue).
 */
package io.trellis.identity.token;
