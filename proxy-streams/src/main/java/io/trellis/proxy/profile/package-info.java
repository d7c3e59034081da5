/**
 * ServiceProfiles as the request path uses them: each service's profile compiled once per mesh
 * snapshot into an immutable {@link io.trellis.proxy.profile.RouteTable} (first matching route
 * wins, unmatched traffic is {@code [DEFAULT]}), and the response classification of each route.
 */
package io.trellis.proxy.profile;
