/**
 * HTTP request path stages: a stage is an {@link io.trellis.proxy.http.HttpService} decorating the
 * next one (routing, balancing, hop-by-hop stripping, forwarding), with bodies streaming inside
 * pekko-http entities. {@link io.trellis.proxy.http.Upstreams} keeps one HTTP/1.1 pool and one
 * HTTP/2 connection per endpoint.
 */
package io.trellis.proxy.http;
