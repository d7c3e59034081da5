/**
 * Failures the proxy answers itself: typed {@link io.trellis.proxy.errors.ProxyError}s raised where
 * the context is known, mapped to HTTP and gRPC statuses in one stage, {@link
 * io.trellis.proxy.errors.Rescue}.
 */
package io.trellis.proxy.errors;
