package io.trellis.proxy.http1;

import io.trellis.proxy.http1.Http1Part.Chunked;
import io.trellis.proxy.http1.Http1Part.Empty;
import io.trellis.proxy.http1.Http1Part.Framing;
import io.trellis.proxy.http1.Http1Part.Head;
import io.trellis.proxy.http1.Http1Part.Header;
import io.trellis.proxy.http1.Http1Part.Length;
import io.trellis.proxy.http1.Http1Part.UntilClose;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Parses HTTP/1.x message heads and header blocks from bytes, strictly (the security anchors of
 * REFERENCE.md): a header name is a token immediately followed by its colon (no space before it);
 * a value holds no CR, LF, NUL or other control byte but tab; no obsolete line folding; lines end
 * in CRLF (a lone LF is accepted, a lone CR is not); Content-Length and Transfer-Encoding never
 * together; duplicate Content-Lengths must agree; a request's transfer coding must be exactly
 * {@code chunked} (the last coding not chunked: 400; other codings before it: 501); an HTTP/1.1
 * request has exactly one Host. Stateless; {@link Http1Decoder} finds where a head ends.
 *
 * <p>On the request path, so it works on the bytes in place (bench/RESULTS.md, "Session 3: HTTP/1
 * codec cost"): one pass checks line endings and counts lines, a second reads each line where it
 * lies; the only objects made are the Head, its header list, and one String per header value,
 * method, target and uncommon header name (common names and methods are shared constants). The
 * framing and keep-alive rules read the header values without splitting or lower-casing them.
 */
public final class HeadParser {
  private HeadParser() {}

  /** Limits: bytes of one head (or trailer block) and headers in it; beyond either, 431. */
  public record Limits(int maxHeadBytes, int maxHeaders) {
    /** About what Linkerd and Envoy accept: 60 KiB, 100 headers. */
    public static Limits defaults() {
      return new Limits(60 * 1024, 100);
    }
  }

  private static final Empty EMPTY = new Empty();
  private static final Chunked CHUNKED = new Chunked();
  private static final UntilClose UNTIL_CLOSE = new UntilClose();

  /**
   * The index just after the empty line that ends a header block starting at {@code start}, or -1
   * when the block is not complete yet. {@code scanFrom} (at least {@code start}) is where a
   * previous call stopped: the start of a line (see {@link #resumeAt}).
   */
  public static int blockEnd(ByteString buf, int start, int scanFrom) {
    int lineStart = scanFrom;
    int lf;
    while ((lf = buf.indexOf((byte) '\n', lineStart)) >= 0) {
      int len = lf - lineStart;
      if (len == 0 || (len == 1 && buf.apply(lineStart) == '\r')) {
        return lf + 1;
      }
      lineStart = lf + 1;
    }
    return -1;
  }

  /** The start of the last (incomplete) line at or after {@code scanFrom}: resume scanning there. */
  public static int resumeAt(ByteString buf, int scanFrom) {
    int lineStart = scanFrom;
    int lf;
    while ((lf = buf.indexOf((byte) '\n', lineStart)) >= 0) {
      lineStart = lf + 1;
    }
    return lineStart;
  }

  /** Parses a complete request head ({@code bytes} ends with its empty line). */
  public static Head request(ByteString bytes, Limits limits) throws MalformedHttp {
    byte[] b = bytes.toArrayUnsafe();
    return request(b, 0, b.length, limits);
  }

  /**
   * Parses a complete response head; {@code headRequest}: the request was HEAD (no body follows
   * whatever the headers say).
   */
  public static Head response(ByteString bytes, boolean headRequest, Limits limits)
      throws MalformedHttp {
    byte[] b = bytes.toArrayUnsafe();
    return response(b, 0, b.length, headRequest, limits);
  }

  /** Parses a complete trailer block (header lines then the empty line). */
  public static List<Header> trailers(ByteString bytes, Limits limits) throws MalformedHttp {
    byte[] b = bytes.toArrayUnsafe();
    Block block = new Block(b, 0, b.length);
    Fields f = new Fields();
    headers(block, 0, limits, f);
    return f.headers;
  }

  /** As {@link #request(ByteString, Limits)}, the head being {@code b[from, to)}. */
  static Head request(byte[] b, int from, int to, Limits limits) throws MalformedHttp {
    Block block = new Block(b, from, to);
    if (block.lines == 0) {
      throw new MalformedHttp(400, "bad request line");
    }
    int lineEnd = block.contentEnd(from);
    int sp1 = indexOf(b, from, lineEnd, (byte) ' ');
    int sp2 = sp1 < 0 ? -1 : indexOf(b, sp1 + 1, lineEnd, (byte) ' ');
    if (sp1 <= from || sp2 <= sp1 + 1 || indexOf(b, sp2 + 1, lineEnd, (byte) ' ') >= 0) {
      throw new MalformedHttp(400, "bad request line");
    }
    for (int i = from; i < sp1; i++) {
      if (!TOKEN[b[i] & 0xff]) {
        throw new MalformedHttp(400, "bad method");
      }
    }
    for (int i = sp1 + 1; i < sp2; i++) {
      int c = b[i] & 0xff;
      if (c <= ' ' || c >= 0x7f) {
        throw new MalformedHttp(400, "bad request target");
      }
    }
    String method = method(b, from, sp1);
    String target = sp2 - sp1 == 2 && b[sp1 + 1] == '/' ? "/" : latin1(b, sp1 + 1, sp2);
    int version = version(b, sp2 + 1, lineEnd);
    Fields f = new Fields();
    headers(block, 1, limits, f);
    if (version == 1 && f.hosts != 1) {
      throw new MalformedHttp(400, f.hosts == 0 ? "missing Host header" : "more than one Host");
    }
    if (f.lengthError != null) {
      throw new MalformedHttp(400, f.lengthError);
    }
    Framing framing;
    if (f.teSeen) {
      if (f.lengthSeen) {
        throw new MalformedHttp(400, "both Content-Length and Transfer-Encoding");
      }
      if (version == 0) {
        throw new MalformedHttp(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      if (f.codings == 0 || !f.lastChunked) {
        throw new MalformedHttp(400, "last transfer coding is not chunked");
      }
      if (f.codings > 1) {
        throw new MalformedHttp(501, "transfer codings other than chunked are not supported");
      }
      framing = CHUNKED;
    } else {
      framing = !f.lengthSeen || f.length == 0 ? EMPTY : new Length(f.length);
    }
    return new Head(method, target, 0, null, version, f.headers, framing, f.keepAlive(version));
  }

  /** As {@link #response(ByteString, boolean, Limits)}, the head being {@code b[from, to)}. */
  static Head response(byte[] b, int from, int to, boolean headRequest, Limits limits)
      throws MalformedHttp {
    Block block = new Block(b, from, to);
    int lineEnd = block.lines == 0 ? from : block.contentEnd(from);
    int len = lineEnd - from;
    if (len < 12
        || !startsWith(b, from, "HTTP/1.")
        || b[from + 8] != ' '
        || (len > 12 && b[from + 12] != ' ')) {
      throw new MalformedHttp(400, "bad status line");
    }
    int version = version(b, from, from + 8);
    int status = 0;
    for (int i = from + 9; i < from + 12; i++) {
      if (b[i] < '0' || b[i] > '9') {
        throw new MalformedHttp(400, "bad status code");
      }
      status = status * 10 + b[i] - '0';
    }
    if (status < 100) {
      throw new MalformedHttp(400, "bad status code");
    }
    String reason;
    if (len <= 13) {
      reason = "";
    } else if (len == 15 && startsWith(b, from + 13, "OK")) {
      reason = "OK";
    } else {
      reason = latin1(b, from + 13, lineEnd);
    }
    Fields f = new Fields();
    headers(block, 1, limits, f);
    Framing framing;
    if (headRequest || status < 200 || status == 204 || status == 304) {
      framing = EMPTY; // whatever the framing headers say, valid or not
    } else if (f.lengthError != null) {
      throw new MalformedHttp(400, f.lengthError);
    } else if (f.teSeen && f.lengthSeen) {
      throw new MalformedHttp(400, "both Content-Length and Transfer-Encoding");
    } else if (f.teSeen) {
      if (f.codings == 1 && f.lastChunked) {
        framing = CHUNKED;
      } else if (f.codings > 0 && f.lastChunked) {
        throw new MalformedHttp(400, "transfer codings other than chunked are not supported");
      } else {
        framing = UNTIL_CLOSE;
      }
    } else {
      framing = !f.lengthSeen ? UNTIL_CLOSE : f.length == 0 ? EMPTY : new Length(f.length);
    }
    boolean keepAlive = f.keepAlive(version) && framing != UNTIL_CLOSE;
    return new Head(null, null, status, reason, version, f.headers, framing, keepAlive);
  }

  /**
   * A header block's lines, checked: every CR is followed by LF; {@code lines} counts the lines
   * before the empty one that ends the block (or before the block's end).
   */
  private static final class Block {
    final byte[] b;
    final int from;
    final int lines;
    /** Where the empty line (or the block) ends; nothing after it is read. */
    final int end;

    Block(byte[] b, int from, int to) throws MalformedHttp {
      this.b = b;
      this.from = from;
      int count = 0;
      int lineStart = from;
      int stop = to;
      for (int i = from; i < to; i++) {
        byte c = b[i];
        if (c == '\n') {
          int contentEnd = i > lineStart && b[i - 1] == '\r' ? i - 1 : i;
          if (contentEnd == lineStart) {
            stop = lineStart;
            break; // the empty line
          }
          count++;
          lineStart = i + 1;
        } else if (c == '\r' && (i + 1 >= to || b[i + 1] != '\n')) {
          throw new MalformedHttp(400, "CR not followed by LF");
        }
      }
      this.lines = count;
      this.end = stop;
    }

    /** The end of the content of the line starting at {@code lineStart} (before CRLF or LF). */
    int contentEnd(int lineStart) {
      int lf = indexOf(b, lineStart, end, (byte) '\n');
      return lf > lineStart && b[lf - 1] == '\r' ? lf - 1 : lf;
    }
  }

  /** What the header lines say: the headers, and what framing and keep-alive need of them. */
  private static final class Fields {
    List<Header> headers;
    int hosts;
    boolean lengthSeen;
    long length;
    /** The first Content-Length rule broken: thrown where framing is needed, as before. */
    String lengthError;
    boolean teSeen;
    int codings;
    boolean lastChunked;
    boolean close;
    boolean keep;

    boolean keepAlive(int version) {
      return !close && (version == 1 || keep);
    }
  }

  /** Reads the header lines after the first {@code skip} lines of the block into {@code f}. */
  private static void headers(Block block, int skip, Limits limits, Fields f)
      throws MalformedHttp {
    int count = block.lines - skip;
    if (count > limits.maxHeaders()) {
      throw new MalformedHttp(431, "more than " + limits.maxHeaders() + " headers");
    }
    byte[] b = block.b;
    List<Header> headers = new ArrayList<>(Math.max(count, 0));
    f.headers = headers;
    int lineStart = block.from;
    for (int l = 0; l < skip; l++) {
      lineStart = indexOf(b, lineStart, block.end, (byte) '\n') + 1;
    }
    for (int l = 0; l < count; l++) {
      int lf = indexOf(b, lineStart, block.end, (byte) '\n');
      int lineEnd = lf > lineStart && b[lf - 1] == '\r' ? lf - 1 : lf;
      byte first = b[lineStart];
      if (first == ' ' || first == '\t') {
        throw new MalformedHttp(400, "obsolete line folding");
      }
      int colon = indexOf(b, lineStart, lineEnd, (byte) ':');
      if (colon <= lineStart) {
        throw new MalformedHttp(400, "header line without a name and colon");
      }
      for (int i = lineStart; i < colon; i++) {
        if (!TOKEN[b[i] & 0xff]) {
          throw new MalformedHttp(
              400,
              b[i] == ' ' || b[i] == '\t'
                  ? "whitespace before a header's colon"
                  : "bad character in a header name");
        }
      }
      int start = colon + 1;
      int end = lineEnd;
      while (start < end && (b[start] == ' ' || b[start] == '\t')) {
        start++;
      }
      while (end > start && (b[end - 1] == ' ' || b[end - 1] == '\t')) {
        end--;
      }
      for (int i = start; i < end; i++) {
        int c = b[i] & 0xff;
        if ((c < ' ' && c != '\t') || c == 0x7f) {
          throw new MalformedHttp(400, "control character in a header value");
        }
      }
      headers.add(new Header(name(b, lineStart, colon), latin1(b, start, end)));
      switch (colon - lineStart) {
        case 4 -> {
          if (equalsLower(b, lineStart, "host")) {
            f.hosts++;
          }
        }
        case 10 -> {
          if (equalsLower(b, lineStart, "connection")) {
            connection(b, start, end, f);
          }
        }
        case 14 -> {
          if (equalsLower(b, lineStart, "content-length")) {
            contentLength(b, start, end, f);
          }
        }
        case 17 -> {
          if (equalsLower(b, lineStart, "transfer-encoding")) {
            transferCodings(b, start, end, f);
          }
        }
        default -> {}
      }
      lineStart = lf + 1;
    }
  }

  /** Each comma-separated element a non-empty run of at most 18 digits, all equal. */
  private static void contentLength(byte[] b, int start, int end, Fields f) {
    if (f.lengthError != null) {
      return;
    }
    int e = start;
    while (true) {
      int comma = indexOf(b, e, end, (byte) ',');
      int elEnd = comma < 0 ? end : comma;
      int s = trimStart(b, e, elEnd);
      int t = trimEnd(b, s, elEnd);
      if (s == t || t - s > 18) {
        f.lengthError = "bad Content-Length";
        return;
      }
      long n = 0;
      for (int i = s; i < t; i++) {
        if (b[i] < '0' || b[i] > '9') {
          f.lengthError = "bad Content-Length";
          return;
        }
        n = n * 10 + b[i] - '0';
      }
      if (f.lengthSeen && f.length != n) {
        f.lengthError = "differing Content-Length values";
        return;
      }
      f.lengthSeen = true;
      f.length = n;
      if (comma < 0) {
        return;
      }
      e = comma + 1;
    }
  }

  /** Counts the non-empty codings and notes whether the last one is chunked. */
  private static void transferCodings(byte[] b, int start, int end, Fields f) {
    f.teSeen = true;
    int e = start;
    while (e <= end) {
      int comma = indexOf(b, e, end, (byte) ',');
      int elEnd = comma < 0 ? end : comma;
      int s = trimStart(b, e, elEnd);
      int t = trimEnd(b, s, elEnd);
      if (t > s) {
        f.codings++;
        f.lastChunked = t - s == 7 && equalsLower(b, s, "chunked");
      }
      if (comma < 0) {
        return;
      }
      e = comma + 1;
    }
  }

  /** Notes the close and keep-alive tokens. */
  private static void connection(byte[] b, int start, int end, Fields f) {
    int e = start;
    while (true) {
      int comma = indexOf(b, e, end, (byte) ',');
      int elEnd = comma < 0 ? end : comma;
      int s = trimStart(b, e, elEnd);
      int t = trimEnd(b, s, elEnd);
      if (t - s == 5 && equalsLower(b, s, "close")) {
        f.close = true;
      } else if (t - s == 10 && equalsLower(b, s, "keep-alive")) {
        f.keep = true;
      }
      if (comma < 0) {
        return;
      }
      e = comma + 1;
    }
  }

  private static int version(byte[] b, int from, int to) throws MalformedHttp {
    if (to - from == 8 && startsWith(b, from, "HTTP/1.")) {
      if (b[from + 7] == '1') {
        return 1;
      }
      if (b[from + 7] == '0') {
        return 0;
      }
    }
    if (to - from == 8
        && startsWith(b, from, "HTTP/")
        && isDigit(b[from + 5])
        && b[from + 6] == '.'
        && isDigit(b[from + 7])) {
      throw new MalformedHttp(505, "HTTP version not supported: " + latin1(b, from, to));
    }
    throw new MalformedHttp(400, "bad HTTP version");
  }

  private static final String[] METHODS = {
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"
  };

  private static String method(byte[] b, int from, int to) {
    for (String m : METHODS) {
      if (m.length() == to - from && startsWith(b, from, m)) {
        return m;
      }
    }
    return latin1(b, from, to);
  }

  /** Common header names as they are usually spelled, by length: shared, not copied. */
  private static final String[][] NAMES = byLength(
      "Host", "host", "Accept", "accept", "User-Agent", "user-agent", "Content-Length",
      "content-length", "Content-Type", "content-type", "Connection", "connection",
      "Transfer-Encoding", "transfer-encoding", "Date", "date", "Server", "server",
      "Accept-Encoding", "accept-encoding", "Accept-Language", "accept-language",
      "Cache-Control", "cache-control", "Cookie", "cookie", "Set-Cookie", "set-cookie",
      "Authorization", "authorization", "Referer", "referer", "Origin", "origin", "Vary",
      "vary", "ETag", "etag", "Last-Modified", "last-modified", "Location", "location",
      "Expires", "expires", "Keep-Alive", "keep-alive", "Content-Encoding", "content-encoding",
      "X-Forwarded-For", "x-forwarded-for", "X-Request-Id", "x-request-id", "TE", "te",
      "Upgrade", "upgrade", "l5d-dst-override", "traceparent");

  private static String[][] byLength(String... names) {
    int max = 0;
    for (String n : names) {
      max = Math.max(max, n.length());
    }
    String[][] table = new String[max + 1][];
    for (String n : names) {
      String[] row = table[n.length()] == null ? new String[0] : table[n.length()];
      row = Arrays.copyOf(row, row.length + 1);
      row[row.length - 1] = n;
      table[n.length()] = row;
    }
    return table;
  }

  private static String name(byte[] b, int from, int to) {
    int len = to - from;
    if (len < NAMES.length && NAMES[len] != null) {
      for (String n : NAMES[len]) {
        if (startsWith(b, from, n)) {
          return n;
        }
      }
    }
    return latin1(b, from, to);
  }

  private static String latin1(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private static int indexOf(byte[] b, int from, int to, byte c) {
    for (int i = from; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static int trimStart(byte[] b, int from, int to) {
    while (from < to && (b[from] == ' ' || b[from] == '\t')) {
      from++;
    }
    return from;
  }

  private static int trimEnd(byte[] b, int from, int to) {
    while (to > from && (b[to - 1] == ' ' || b[to - 1] == '\t')) {
      to--;
    }
    return to;
  }

  /** Whether {@code b} at {@code from} holds the (ASCII) characters of {@code s}, exactly. */
  private static boolean startsWith(byte[] b, int from, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[from + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code b} at {@code from} holds {@code lower} (lower-case letters and '-') in any
   * case. {@code c | 0x20} maps only A-Z onto a-z among the bytes that can match ('-' stays).
   */
  private static boolean equalsLower(byte[] b, int from, String lower) {
    for (int i = 0; i < lower.length(); i++) {
      if ((b[from + i] | 0x20) != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  /** RFC 9110 tchar, by byte value. */
  private static final boolean[] TOKEN = new boolean[256];

  static {
    for (int c = 0; c < 256; c++) {
      TOKEN[c] =
          c >= 'a' && c <= 'z'
              || c >= 'A' && c <= 'Z'
              || c >= '0' && c <= '9'
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
  }
}
