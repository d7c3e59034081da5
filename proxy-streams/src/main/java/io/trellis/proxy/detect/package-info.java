/**
 * Protocol detection on the proxy's listeners: each connection's first bytes decide whether it is
 * served as HTTP/2 (the h2c prior-knowledge preface) or as HTTP/1.1, as linkerd2-proxy's {@code
 * detect} does. {@link io.trellis.proxy.detect.HttpListener} binds a port that way.
 */
package io.trellis.proxy.detect;
