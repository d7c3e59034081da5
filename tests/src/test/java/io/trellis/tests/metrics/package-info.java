/** Reading the proxies' admin /metrics as Prometheus would. */
package io.trellis.tests.metrics;
