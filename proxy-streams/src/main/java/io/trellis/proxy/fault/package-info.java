/**
 * Fault injection per ServiceProfile route (mesh.conf {@code services.<name>.faults}, or a route's
 * {@code x-trellis-fault}): aborts with a chosen status and delays on the scheduler.
 */
package io.trellis.proxy.fault;
