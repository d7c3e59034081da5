package io.trellis.proxy.http1;

import io.trellis.proxy.http1.Http1Part.Chunked;
import io.trellis.proxy.http1.Http1Part.Data;
import io.trellis.proxy.http1.Http1Part.End;
import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Length;
import io.trellis.proxy.http1.Http1Part.Malformed;
import io.trellis.proxy.http1.Http1Part.UntilClose;
import java.io.IOException;
import java.util.List;
import java.util.Queue;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Bytes of one HTTP/1.x connection direction to {@link Http1Part}s: for each message a head, its
 * body as {@link Data} slices of what was read (Content-Length or chunked, de-chunked), and an
 * {@link End} with the trailers; pipelined messages follow one another.
 *
 * <p>Bounded and backpressured: one element is produced per pull, and input is pulled only when
 * what is buffered cannot produce one, so the buffer holds at most one incomplete head or chunk
 * line (bounded by {@link HeadParser.Limits#maxHeadBytes()}, else 431) plus one read; bodies are
 * never accumulated. Broken input ({@link HeadParser} rules, bad chunk sizes or chunk endings)
 * emits one {@link Malformed} and completes. The peer closing mid-message fails the stage
 * (truncated body), except a response delimited by the connection's end.
 */
public final class Http1Decoder extends GraphStage<FlowShape<ByteString, Http1Part>> {
  private static final int MAX_CHUNK_LINE = 4096;
  private static final End END = new End(List.of());

  private final Inlet<ByteString> in = Inlet.create("Http1Decoder.in");
  private final Outlet<Http1Part> out = Outlet.create("Http1Decoder.out");
  private final FlowShape<ByteString, Http1Part> shape = FlowShape.of(in, out);
  private final boolean requests;
  private final Queue<String> requestMethods;
  private final HeadParser.Limits limits;

  private Http1Decoder(boolean requests, Queue<String> requestMethods, HeadParser.Limits limits) {
    this.requests = requests;
    this.requestMethods = requestMethods;
    this.limits = limits;
  }

  /** Decodes requests (a server's input). */
  public static Http1Decoder requests(HeadParser.Limits limits) {
    return new Http1Decoder(true, null, limits);
  }

  /**
   * Decodes responses (a client's input); {@code requestMethods} holds the methods of the requests
   * sent, in order (one is taken per final response: a HEAD's response has no body). Must be
   * written by a stage of the same graph (same thread).
   */
  public static Http1Decoder responses(Queue<String> requestMethods, HeadParser.Limits limits) {
    return new Http1Decoder(false, requestMethods, limits);
  }

  @Override
  public FlowShape<ByteString, Http1Part> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private enum State {
    HEAD,
    LENGTH,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_END,
    TRAILERS,
    UNTIL_CLOSE,
    DONE
  }

  private final class Logic extends GraphStageLogic {
    private final Parser parser = new Parser(requests, requestMethods, limits);

    Logic() {
      super(shape);
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() throws IOException {
              parser.feed(grab(in));
              if (isAvailable(out)) {
                produce();
              }
            }

            @Override
            public void onUpstreamFinish() throws IOException {
              if (isAvailable(out)) {
                produce();
              }
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() throws IOException {
              produce();
            }
          });
    }

    /** Pushes one element if the buffer makes one, else asks for more input (or ends). */
    private void produce() throws IOException {
      Http1Part part;
      try {
        part = parser.next();
      } catch (MalformedHttp e) {
        push(out, parser.malformed(e));
        completeStage();
        return;
      }
      if (part != null) {
        push(out, part);
        if (parser.done()) {
          completeStage();
        }
      } else if (!isClosed(in)) {
        if (!hasBeenPulled(in)) {
          pull(in);
        }
      } else {
        Http1Part last;
        try {
          last = parser.atEnd();
        } catch (IOException truncated) {
          failStage(truncated);
          return;
        }
        if (last != null) {
          push(out, last);
        }
        completeStage();
      }
    }
  }

  /**
   * The decoder as a plain state machine, for a reader that owns its socket (the fused path's
   * upstream connections) as well as for the stage: bytes are {@link #feed fed} in as read, and
   * {@link #next} returns one element at a time, null when it needs more bytes. Bounded as the
   * stage is: the buffer holds at most one incomplete head or chunk line plus what one read got.
   */
  public static final class Parser {
    private final boolean requests;
    private final Queue<String> requestMethods;
    private final HeadParser.Limits limits;
    private ByteString buf = ByteString.emptyByteString();
    private State state = State.HEAD;
    private int scanFrom;
    private long remaining;
    private boolean pendingEnd;

    private Parser(boolean requests, Queue<String> requestMethods, HeadParser.Limits limits) {
      this.requests = requests;
      this.requestMethods = requestMethods;
      this.limits = limits;
    }

    /**
     * A response parser; {@code requestMethods} as for {@link Http1Decoder#responses}, written
     * by the same thread that calls this parser.
     */
    public static Parser responses(Queue<String> requestMethods, HeadParser.Limits limits) {
      return new Parser(false, requestMethods, limits);
    }

    /** Appends bytes read. */
    public void feed(ByteString bytes) {
      buf = buf.isEmpty() ? bytes : buf.concat(bytes);
    }

    /** Bytes fed and not yet returned as elements. */
    public boolean buffered() {
      return !buf.isEmpty() || pendingEnd;
    }

    /** The last element was returned (a message delimited by the connection's end, or broken). */
    public boolean done() {
      return state == State.DONE;
    }

    /** The element that reports {@code e} (after which the parser is done). */
    public Malformed malformed(MalformedHttp e) {
      state = State.DONE;
      return new Malformed(e.status(), e.getMessage());
    }

    /**
     * The next element from what was fed, or null when more bytes are needed.
     *
     * @throws MalformedHttp broken input (then {@link #malformed} makes its element)
     */
    public Http1Part next() throws MalformedHttp {
      return state == State.DONE ? null : step();
    }

    /**
     * The input ended and {@link #next} returned null: the last element (the {@link End} of a
     * response delimited by the connection's end), or null for a clean end between messages.
     *
     * @throws IOException the input ended in the middle of a message
     */
    public Http1Part atEnd() throws IOException {
      if (state == State.UNTIL_CLOSE) {
        state = State.DONE;
        return END;
      }
      if (state == State.DONE
          || (state == State.HEAD && (buf.isEmpty() || requests))) {
        state = State.DONE; // an incomplete request head: the client went away
        return null;
      }
      throw new IOException("connection closed in the middle of a message (" + state + ")");
    }

    /** The next element from the buffer, or null when more input is needed. */
    private Http1Part step() throws MalformedHttp {
      switch (state) {
        case HEAD:
          return head();
        case LENGTH:
          {
            if (buf.isEmpty()) {
              return null;
            }
            Data data = take(remaining);
            remaining -= data.bytes().size();
            if (remaining == 0) {
              state = State.HEAD; // End comes at the next pull
              pendingEnd = true;
            }
            return data;
          }
        case CHUNK_SIZE:
          return chunkSize();
        case CHUNK_DATA:
          {
            if (buf.isEmpty()) {
              return null;
            }
            Data data = take(remaining);
            remaining -= data.bytes().size();
            if (remaining == 0) {
              state = State.CHUNK_END;
            }
            return data;
          }
        case CHUNK_END:
          {
            if (buf.size() < 2) {
              if (buf.size() == 1 && buf.apply(0) != '\r') {
                throw new MalformedHttp(400, "chunk data not followed by CRLF");
              }
              return null;
            }
            if (buf.apply(0) != '\r' || buf.apply(1) != '\n') {
              throw new MalformedHttp(400, "chunk data not followed by CRLF");
            }
            buf = buf.drop(2);
            state = State.CHUNK_SIZE;
            return chunkSize();
          }
        case TRAILERS:
          {
            int end = HeadParser.blockEnd(buf, 0, scanFrom);
            if (end < 0) {
              checkBlockSize();
              return null;
            }
            List<Http1Part.Header> trailers = HeadParser.trailers(buf.take(end), limits);
            buf = buf.drop(end);
            scanFrom = 0;
            state = State.HEAD;
            return new End(trailers);
          }
        case UNTIL_CLOSE:
          return buf.isEmpty() ? null : take(Long.MAX_VALUE);
        default:
          return null;
      }
    }

    private Http1Part head() throws MalformedHttp {
      if (pendingEnd) {
        pendingEnd = false;
        return END;
      }
      if (requests) {
        // Tolerate empty lines between pipelined requests (RFC 9112 section 2.2).
        while (!buf.isEmpty() && (buf.apply(0) == '\r' || buf.apply(0) == '\n')) {
          if (buf.apply(0) == '\r' && buf.size() < 2) {
            return null;
          }
          buf = buf.drop(buf.apply(0) == '\r' ? 2 : 1);
        }
      }
      int end = HeadParser.blockEnd(buf, 0, scanFrom);
      if (end < 0) {
        checkBlockSize();
        return null;
      }
      if (end > limits.maxHeadBytes()) {
        throw new MalformedHttp(431, "head larger than " + limits.maxHeadBytes() + " bytes");
      }
      // Parsed where it lies when the buffer is one array (a whole read: the common case), else
      // from a copy of the head alone.
      byte[] bytes = buf.isCompact() ? buf.toArrayUnsafe() : buf.take(end).toArray();
      boolean headRequest = !requests && isHeadRequest(buf, end);
      buf = buf.drop(end);
      scanFrom = 0;
      Head head;
      if (requests) {
        head = HeadParser.request(bytes, 0, end, limits);
      } else {
        head = HeadParser.response(bytes, 0, end, headRequest, limits);
      }
      if (head.framing() instanceof Length l) {
        state = State.LENGTH;
        remaining = l.length();
      } else if (head.framing() instanceof Chunked) {
        state = State.CHUNK_SIZE;
      } else if (head.framing() instanceof UntilClose) {
        state = State.UNTIL_CLOSE;
      } else {
        pendingEnd = true;
      }
      return head;
    }

    /** Whether the response head {@code buf[0, end)} answers a HEAD request. */
    private boolean isHeadRequest(ByteString buf, int end) {
      boolean informational = end > 9 && buf.apply(9) == '1';
      if (informational || requestMethods == null) {
        return false;
      }
      String method = requestMethods.poll();
      return "HEAD".equals(method);
    }

    private void checkBlockSize() throws MalformedHttp {
      if (buf.size() > limits.maxHeadBytes()) {
        throw new MalformedHttp(431, "head larger than " + limits.maxHeadBytes() + " bytes");
      }
      scanFrom = HeadParser.resumeAt(buf, scanFrom);
    }

    private Http1Part chunkSize() throws MalformedHttp {
      int lf = buf.indexOf((byte) '\n');
      if (lf < 0) {
        if (buf.size() > MAX_CHUNK_LINE) {
          throw new MalformedHttp(400, "chunk size line too long");
        }
        return null;
      }
      if (lf == 0 || buf.apply(lf - 1) != '\r') {
        throw new MalformedHttp(400, "chunk size line not ended by CRLF");
      }
      long size = 0;
      int digits = 0;
      int i = 0;
      for (; i < lf - 1; i++) {
        int d = Character.digit((char) (buf.apply(i) & 0xff), 16);
        if (d < 0) {
          break;
        }
        if (++digits > 15) {
          throw new MalformedHttp(400, "chunk size too large");
        }
        size = size * 16 + d;
      }
      if (digits == 0) {
        throw new MalformedHttp(400, "bad chunk size");
      }
      // After the size: optional whitespace then ';' extensions, ignored (no CTLs in them).
      int j = i;
      while (j < lf - 1 && (buf.apply(j) == ' ' || buf.apply(j) == '\t')) {
        j++;
      }
      if (j < lf - 1 && buf.apply(j) != ';') {
        throw new MalformedHttp(400, "bad chunk size");
      }
      for (int k = j; k < lf - 1; k++) {
        byte b = buf.apply(k);
        if ((b < ' ' && b != '\t') || b == 0x7f) {
          throw new MalformedHttp(400, "control character in a chunk extension");
        }
      }
      buf = buf.drop(lf + 1);
      if (size == 0) {
        state = State.TRAILERS;
        scanFrom = 0;
        return step();
      }
      state = State.CHUNK_DATA;
      remaining = size;
      return step();
    }

    private Data take(long max) {
      int n = (int) Math.min(max, buf.size());
      ByteString data = buf.take(n);
      buf = buf.drop(n);
      return new Data(data);
    }
  }
}
