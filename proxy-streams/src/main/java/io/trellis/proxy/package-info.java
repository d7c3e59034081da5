/**
 * The sidecar proxy's composition root: {@link io.trellis.proxy.Sidecar} builds the outbound and
 * inbound request paths from the stages in the sub-packages and binds them with the admin listener;
 * {@link io.trellis.proxy.ProxySettings} is {@code trellis.proxy} read once.
 */
package io.trellis.proxy;
