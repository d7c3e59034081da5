package io.trellis.tests.backend;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Deterministic bodies of any size, generated as they are sent and never held whole: 64 KiB
 * blocks of fixed noise, each stamped with its index so a duplicated, dropped or reordered
 * block changes the SHA-256.
 */
public final class Payload {
  public static final int BLOCK = 64 * 1024;
  public static final long GIB = 1024L * 1024 * 1024;

  private static final byte[] NOISE = new byte[BLOCK];

  static {
    new Random(20261124L).nextBytes(NOISE);
  }

  private Payload() {}

  /** Block {@code index}, cut to {@code length} bytes. */
  static byte[] block(long index, int length) {
    byte[] b = NOISE.clone();
    ByteBuffer.wrap(b).putLong(index);
    return length == BLOCK ? b : java.util.Arrays.copyOf(b, length);
  }

  /** The first {@code size} bytes as a stream of blocks. */
  public static Source<ByteString, NotUsed> source(long size) {
    long blocks = (size + BLOCK - 1) / BLOCK;
    return Source.range(0, (int) Math.max(0, blocks - 1))
        .take(blocks)
        .map(i -> ByteString.fromArrayUnsafe(block(i, lengthOf(size, i))));
  }

  /** The same bytes as {@link #source}, for clients that send an InputStream. */
  public static InputStream inputStream(long size) {
    return new InputStream() {
      private long position;
      private byte[] current = new byte[0];
      private int offset;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] into, int off, int len) {
        if (position >= size) {
          return -1;
        }
        if (offset == current.length) {
          long index = position / BLOCK;
          current = block(index, lengthOf(size, index));
          offset = 0;
        }
        int n = Math.min(len, current.length - offset);
        System.arraycopy(current, offset, into, off, n);
        offset += n;
        position += n;
        return n;
      }
    };
  }

  /** SHA-256 of the first {@code size} bytes, computed block by block. */
  public static String sha256(long size) {
    MessageDigest digest = newDigest();
    long blocks = (size + BLOCK - 1) / BLOCK;
    for (long i = 0; i < blocks; i++) {
      digest.update(block(i, lengthOf(size, i)));
    }
    return hex(digest);
  }

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  private static int lengthOf(long size, long index) {
    return (int) Math.min(BLOCK, size - index * BLOCK);
  }
}
