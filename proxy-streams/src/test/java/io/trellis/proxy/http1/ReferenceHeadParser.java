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
import java.util.List;
import java.util.Locale;
import org.apache.pekko.util.ByteString;

/**
 * The {@link HeadParser} of sessions 1-2 (String lines, split, toLowerCase), unchanged but for its
 * name: the oracle {@link Http1CodecEquivalenceTest} checks the byte-level parser against.
 */
final class ReferenceHeadParser {
  private ReferenceHeadParser() {}

  /**
   * The index just after the empty line that ends a header block starting at {@code start}, or -1
   * when the block is not complete yet. {@code scanFrom} (at least {@code start}) is where a
   * previous call stopped: the start of a line (see {@link #resumeAt}).
   */
  static int blockEnd(ByteString buf, int start, int scanFrom) {
    int lineStart = scanFrom;
    int n = buf.size();
    for (int i = scanFrom; i < n; i++) {
      if (buf.apply(i) == '\n') {
        int len = i - lineStart;
        if (len == 0 || (len == 1 && buf.apply(lineStart) == '\r')) {
          return i + 1;
        }
        lineStart = i + 1;
      }
    }
    return -1;
  }

  /** The start of the last (incomplete) line at or after {@code scanFrom}: resume scanning there. */
  static int resumeAt(ByteString buf, int scanFrom) {
    int lineStart = scanFrom;
    for (int i = scanFrom; i < buf.size(); i++) {
      if (buf.apply(i) == '\n') {
        lineStart = i + 1;
      }
    }
    return lineStart;
  }

  /** Parses a complete request head ({@code bytes} ends with its empty line). */
  static Head request(ByteString bytes, HeadParser.Limits limits) throws MalformedHttp {
    List<String> lines = lines(bytes);
    String[] start = requestLine(lines.get(0));
    int version = version(start[2]);
    List<Header> headers = headers(lines, 1, limits);
    int hosts = 0;
    for (Header h : headers) {
      if (h.is("host")) {
        hosts++;
      }
    }
    if (version == 1 && hosts != 1) {
      throw new MalformedHttp(400, hosts == 0 ? "missing Host header" : "more than one Host");
    }
    Framing framing = requestFraming(headers, version);
    return new Head(
        start[0], start[1], 0, null, version, headers, framing, keepAlive(headers, version));
  }

  /**
   * Parses a complete response head; {@code headRequest}: the request was HEAD (no body follows
   * whatever the headers say).
   */
  static Head response(ByteString bytes, boolean headRequest, HeadParser.Limits limits)
      throws MalformedHttp {
    List<String> lines = lines(bytes);
    String line = lines.get(0);
    if (line.length() < 12
        || !line.startsWith("HTTP/1.")
        || line.charAt(8) != ' '
        || (line.length() > 12 && line.charAt(12) != ' ')) {
      throw new MalformedHttp(400, "bad status line");
    }
    int version = version(line.substring(0, 8));
    int status;
    try {
      status = Integer.parseInt(line.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new MalformedHttp(400, "bad status code");
    }
    if (status < 100 || status > 999) {
      throw new MalformedHttp(400, "bad status code");
    }
    String reason = line.length() > 13 ? line.substring(13) : "";
    List<Header> headers = headers(lines, 1, limits);
    Framing framing;
    if (headRequest || status < 200 || status == 204 || status == 304) {
      framing = new Empty();
    } else {
      framing = responseFraming(headers);
    }
    boolean keepAlive = keepAlive(headers, version) && !(framing instanceof UntilClose);
    return new Head(null, null, status, reason, version, headers, framing, keepAlive);
  }

  /** Parses a complete trailer block (header lines then the empty line). */
  static List<Header> trailers(ByteString bytes, HeadParser.Limits limits) throws MalformedHttp {
    List<String> lines = lines(bytes);
    lines.add(0, "");
    return headers(lines, 1, limits);
  }

  /** Splits a block into its lines (without the final empty one), checking line endings. */
  private static List<String> lines(ByteString bytes) throws MalformedHttp {
    List<String> lines = new ArrayList<>();
    byte[] b = bytes.toArrayUnsafe();
    int lineStart = 0;
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '\n') {
        int end = i > lineStart && b[i - 1] == '\r' ? i - 1 : i;
        for (int j = lineStart; j < end; j++) {
          if (b[j] == '\r') {
            throw new MalformedHttp(400, "CR not followed by LF");
          }
        }
        if (end == lineStart) {
          break; // the empty line
        }
        lines.add(new String(b, lineStart, end - lineStart, StandardCharsets.ISO_8859_1));
        lineStart = i + 1;
      }
    }
    return lines;
  }

  private static String[] requestLine(String line) throws MalformedHttp {
    int sp1 = line.indexOf(' ');
    int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || line.indexOf(' ', sp2 + 1) >= 0) {
      throw new MalformedHttp(400, "bad request line");
    }
    String method = line.substring(0, sp1);
    String target = line.substring(sp1 + 1, sp2);
    for (int i = 0; i < method.length(); i++) {
      if (!isToken(method.charAt(i))) {
        throw new MalformedHttp(400, "bad method");
      }
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new MalformedHttp(400, "bad request target");
      }
    }
    return new String[] {method, target, line.substring(sp2 + 1)};
  }

  private static int version(String v) throws MalformedHttp {
    return switch (v) {
      case "HTTP/1.1" -> 1;
      case "HTTP/1.0" -> 0;
      default -> {
        if (v.matches("HTTP/[0-9]\\.[0-9]")) {
          throw new MalformedHttp(505, "HTTP version not supported: " + v);
        }
        throw new MalformedHttp(400, "bad HTTP version");
      }
    };
  }

  private static List<Header> headers(List<String> lines, int from, HeadParser.Limits limits)
      throws MalformedHttp {
    if (lines.size() - from > limits.maxHeaders()) {
      throw new MalformedHttp(431, "more than " + limits.maxHeaders() + " headers");
    }
    List<Header> headers = new ArrayList<>(lines.size() - from);
    for (int l = from; l < lines.size(); l++) {
      String line = lines.get(l);
      char first = line.charAt(0);
      if (first == ' ' || first == '\t') {
        throw new MalformedHttp(400, "obsolete line folding");
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new MalformedHttp(400, "header line without a name and colon");
      }
      for (int i = 0; i < colon; i++) {
        if (!isToken(line.charAt(i))) {
          throw new MalformedHttp(
              400,
              line.charAt(i) == ' ' || line.charAt(i) == '\t'
                  ? "whitespace before a header's colon"
                  : "bad character in a header name");
        }
      }
      int start = colon + 1;
      int end = line.length();
      while (start < end && isOws(line.charAt(start))) {
        start++;
      }
      while (end > start && isOws(line.charAt(end - 1))) {
        end--;
      }
      for (int i = start; i < end; i++) {
        char c = line.charAt(i);
        if ((c < ' ' && c != '\t') || c == 0x7f) {
          throw new MalformedHttp(400, "control character in a header value");
        }
      }
      headers.add(new Header(line.substring(0, colon), line.substring(start, end)));
    }
    return headers;
  }

  private static Framing requestFraming(List<Header> headers, int version) throws MalformedHttp {
    List<String> codings = codings(headers);
    Long length = contentLength(headers);
    if (codings != null) {
      if (length != null) {
        throw new MalformedHttp(400, "both Content-Length and Transfer-Encoding");
      }
      if (version == 0) {
        throw new MalformedHttp(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      if (codings.isEmpty() || !codings.get(codings.size() - 1).equals("chunked")) {
        throw new MalformedHttp(400, "last transfer coding is not chunked");
      }
      if (codings.size() > 1) {
        throw new MalformedHttp(501, "transfer codings other than chunked are not supported");
      }
      return new Chunked();
    }
    return length == null || length == 0 ? new Empty() : new Length(length);
  }

  private static Framing responseFraming(List<Header> headers) throws MalformedHttp {
    List<String> codings = codings(headers);
    Long length = contentLength(headers);
    if (codings != null) {
      if (length != null) {
        throw new MalformedHttp(400, "both Content-Length and Transfer-Encoding");
      }
      if (codings.size() == 1 && codings.get(0).equals("chunked")) {
        return new Chunked();
      }
      if (!codings.isEmpty() && codings.get(codings.size() - 1).equals("chunked")) {
        throw new MalformedHttp(400, "transfer codings other than chunked are not supported");
      }
      return new UntilClose();
    }
    return length == null ? new UntilClose() : length == 0 ? new Empty() : new Length(length);
  }

  /** All transfer codings in order, lower case; null when there is no Transfer-Encoding. */
  private static List<String> codings(List<Header> headers) {
    List<String> codings = null;
    for (Header h : headers) {
      if (h.is("transfer-encoding")) {
        if (codings == null) {
          codings = new ArrayList<>(1);
        }
        for (String c : h.value().split(",")) {
          String t = c.trim().toLowerCase(Locale.ROOT);
          if (!t.isEmpty()) {
            codings.add(t);
          }
        }
      }
    }
    return codings;
  }

  /** The Content-Length all Content-Length values agree on; null when there is none. */
  private static Long contentLength(List<Header> headers) throws MalformedHttp {
    Long length = null;
    for (Header h : headers) {
      if (h.is("content-length")) {
        for (String v : h.value().split(",", -1)) {
          String t = v.trim();
          if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new MalformedHttp(400, "bad Content-Length");
          }
          long n = Long.parseLong(t);
          if (length != null && length != n) {
            throw new MalformedHttp(400, "differing Content-Length values");
          }
          length = n;
        }
      }
    }
    return length;
  }

  private static boolean keepAlive(List<Header> headers, int version) {
    boolean close = false;
    boolean keep = false;
    for (Header h : headers) {
      if (h.is("connection")) {
        for (String t : h.value().split(",")) {
          String token = t.trim();
          close |= token.equalsIgnoreCase("close");
          keep |= token.equalsIgnoreCase("keep-alive");
        }
      }
    }
    return !close && (version == 1 || keep);
  }

  private static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** RFC 9110 tchar. */
  static boolean isToken(char c) {
    if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
