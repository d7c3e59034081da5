package io.trellis.proxy;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.util.ByteString;

/** gRPC wire shapes for the tests: the content type and length-prefixed messages. */
final class Grpc {
  static final ContentType CONTENT_TYPE = ContentTypes.parse("application/grpc");

  private Grpc() {}

  /** One uncompressed gRPC message frame: flag 0, 4-byte big-endian length, payload. */
  static ByteString frame(String payload) {
    byte[] bytes = payload.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return ByteString.fromArray(
            new byte[] {
              0,
              (byte) (bytes.length >>> 24),
              (byte) (bytes.length >>> 16),
              (byte) (bytes.length >>> 8),
              (byte) bytes.length
            })
        .concat(ByteString.fromArray(bytes));
  }
}
