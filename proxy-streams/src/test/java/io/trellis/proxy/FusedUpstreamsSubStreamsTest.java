package io.trellis.proxy;

/**
 * {@link FusedUpstreamsTest}'s scenarios with every upstream connection a sub-stream ({@code
 * trellis.proxy.transport.direct-upstreams = off}): both kinds behave the same.
 */
class FusedUpstreamsSubStreamsTest extends FusedUpstreamsTest {
  @Override
  String extraSettings() {
    return "trellis.proxy.transport.direct-upstreams = off\n";
  }
}
