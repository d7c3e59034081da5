/**
 * Budgeted retries on the client side (outbound), with Linkerd's semantics: only requests on
 * retryable ServiceProfile routes, only failure-classified responses and connection errors, only
 * bodies small enough to replay, and only as far as the service's retry budget allows.
 */
package io.trellis.proxy.retry;
