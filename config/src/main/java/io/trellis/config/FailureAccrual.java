package io.trellis.config;

import java.time.Duration;

/**
 * A service's own circuit-breaking (failure accrual) settings from mesh.conf; a null field keeps
 * the proxy's default ({@code trellis.proxy.balance.failure-accrual}).
 *
 * @param consecutiveFailures failures in a row that take an endpoint out of the balancer
 * @param penaltyMin the first penalty before the endpoint is probed
 * @param penaltyMax the longest penalty
 * @param jitter a penalty is stretched by a random share of up to this much of itself (0..1)
 */
public record FailureAccrual(
    Integer consecutiveFailures, Duration penaltyMin, Duration penaltyMax, Double jitter) {}
