/**
 * The canary controller: a supervised actor per Canary (flagger.app/v1beta1) that steps traffic-split weights from success rate and latency.
 */
package io.trellis.canary;
