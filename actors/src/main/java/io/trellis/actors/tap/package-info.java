/**
 * The control plane's Tap service: resolves a resource to workloads, opens Observe on their
 * proxies' tap ports, merges, filters ({@code --to}) and names sources and destinations.
 */
package io.trellis.actors.tap;
