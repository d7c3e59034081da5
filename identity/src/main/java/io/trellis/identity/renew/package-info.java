/**
 * When a proxy renews its certificate: at a fraction (70%) of the lifetime left when the
 * certificate arrived, and after a failure with capped exponential backoff and jitter. Pure
 * functions of instants and a random draw, so the proxy's timer logic is tested without time.
 */
package io.trellis.identity.renew;
