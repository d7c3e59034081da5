package io.trellis.cli.profile;

import io.trellis.cli.profile.GeneratedProfile.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Routes from a .proto file: one per rpc, as a gRPC client calls it: {@code POST
 * /package.Service/Method}. The route is named by that path (Linkerd names it by the method alone,
 * which is ambiguous once two services share a method name); an rpc whose {@code
 * idempotency_level} option is {@code IDEMPOTENT} or {@code NO_SIDE_EFFECTS} is retryable, as in
 * Linkerd.
 *
 * <p>A small parser of its own rather than protoc (not packaged here): it reads {@code package}
 * and {@code service} blocks and skips everything else (messages, enums, options, imports,
 * comments), so it accepts any file protoc accepts and fails, naming file:line, on a malformed
 * service.
 */
public final class ProtoRoutes {
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern FULL_IDENT = Pattern.compile("\\.?[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

  private record Token(String text, int line, boolean string) {}

  private record Rpc(String service, String method, boolean retryable) {}

  private final String source;
  private final List<Token> tokens;
  private int at;
  private int lastLine = 1;

  private ProtoRoutes(String source, String text) {
    this.source = source;
    this.tokens = tokenize(text);
  }

  /**
   * Reads {@code text}; {@code source} names it in errors.
   *
   * @throws SourceException naming the file and line at fault
   */
  public static List<Route> read(String source, String text) {
    return new ProtoRoutes(source, text).routes();
  }

  private List<Route> routes() {
    String pkg = null;
    int pkgLine = 0;
    List<Rpc> rpcs = new ArrayList<>();
    Map<String, Integer> services = new HashMap<>();
    while (at < tokens.size()) {
      Token t = next("a statement");
      if (t.string()) {
        continue;
      }
      switch (t.text()) {
        case "package" -> {
          if (pkg != null) {
            throw fail(t.line(), "a second package statement (the first is on line " + pkgLine + ")");
          }
          pkg = name(FULL_IDENT, "a package name");
          pkgLine = t.line();
          expect(";", "package " + pkg);
        }
        case "service" -> {
          String service = name(IDENT, "a service name");
          Integer previous = services.putIfAbsent(service, t.line());
          if (previous != null) {
            throw fail(t.line(), "service " + service + " is already defined on line " + previous);
          }
          expect("{", "service " + service);
          service(service, t.line(), rpcs);
        }
        case "{" -> skipBlock(t);
        case "}" -> throw fail(t.line(), "unexpected \"}\"");
        default -> {} // syntax, import, option, message/enum/extend headers: not routes
      }
    }
    if (rpcs.isEmpty()) {
      throw new SourceException(source, -1, "", "no rpc found; expected a service with at least one rpc");
    }
    String prefix = pkg == null ? "" : pkg.startsWith(".") ? pkg.substring(1) + "." : pkg + ".";
    List<Route> routes = new ArrayList<>();
    for (Rpc rpc : rpcs) {
      String path = "/" + prefix + rpc.service() + "/" + rpc.method();
      routes.add(new Route(path, "POST", PathTemplates.quote(path), List.of(), rpc.retryable(), null));
    }
    return routes;
  }

  /** The body of {@code service Name {}}, after its '{': rpcs, options and empty statements. */
  private void service(String service, int opened, List<Rpc> rpcs) {
    Map<String, Integer> methods = new HashMap<>();
    while (true) {
      if (at >= tokens.size()) {
        throw fail(lastLine, "service " + service + ": missing \"}\" (opened on line " + opened + ")");
      }
      Token t = next("rpc");
      switch (t.text()) {
        case "}" -> {
          return;
        }
        case ";" -> {}
        case "option" -> skipStatement();
        case "rpc" -> {
          String method = name(IDENT, "an rpc name");
          Integer previous = methods.putIfAbsent(method, t.line());
          if (previous != null) {
            throw fail(t.line(), "rpc " + service + "." + method + " is already defined on line " + previous);
          }
          messageType("rpc " + method);
          expect("returns", "rpc " + method);
          messageType("rpc " + method);
          boolean retryable = false;
          Token end = next("\";\" or \"{\"");
          if (end.text().equals("{")) {
            retryable = rpcOptions(end);
          } else if (!end.text().equals(";")) {
            throw fail(end.line(), "rpc " + method + ": expected \";\" or \"{\", got " + show(end));
          }
          rpcs.add(new Rpc(service, method, retryable));
        }
        default -> throw fail(t.line(),
            "service " + service + ": expected \"rpc\", \"option\" or \"}\", got " + show(t));
      }
    }
  }

  /** {@code ([stream] Type)}. */
  private void messageType(String what) {
    expect("(", what);
    Token t = next("a message type");
    if (t.text().equals("stream") && !peekIs(")")) {
      t = next("a message type");
    }
    if (t.string() || !FULL_IDENT.matcher(t.text()).matches()) {
      throw fail(t.line(), what + ": expected a message type, got " + show(t));
    }
    expect(")", what);
  }

  /** An rpc's option block, after its '{'; true if it declares the rpc idempotent or safe. */
  private boolean rpcOptions(Token open) {
    boolean retryable = false;
    while (true) {
      if (at >= tokens.size()) {
        throw fail(open.line(), "missing \"}\" for the rpc's options");
      }
      Token t = next("\"}\"");
      if (t.text().equals("}")) {
        return retryable;
      }
      if (t.text().equals("option") && at < tokens.size()
          && tokens.get(at).text().contains("idempotency_level")) {
        List<Token> statement = skipStatement();
        Token value = statement.get(statement.size() - 2); // option name = VALUE ;
        retryable |= value.text().equals("IDEMPOTENT") || value.text().equals("NO_SIDE_EFFECTS");
      } else if (t.text().equals("{")) {
        skipBlock(t);
      }
    }
  }

  /** Skips to the end of a statement (its ';' at this nesting level) and returns its tokens. */
  private List<Token> skipStatement() {
    List<Token> out = new ArrayList<>();
    int depth = 0;
    while (at < tokens.size()) {
      Token t = tokens.get(at++);
      out.add(t);
      if (!t.string() && t.text().equals("{")) {
        depth++;
      } else if (!t.string() && t.text().equals("}")) {
        depth--;
      } else if (!t.string() && t.text().equals(";") && depth == 0) {
        return out;
      }
    }
    throw fail(lastLine, "missing \";\" at the end of the file");
  }

  /** Skips a block after its '{' up to the matching '}'. */
  private void skipBlock(Token open) {
    int depth = 1;
    while (depth > 0) {
      if (at >= tokens.size()) {
        throw fail(open.line(), "missing \"}\" for the \"{\" on this line");
      }
      Token t = tokens.get(at++);
      if (!t.string() && t.text().equals("{")) {
        depth++;
      } else if (!t.string() && t.text().equals("}")) {
        depth--;
      }
    }
  }

  private String name(Pattern form, String what) {
    Token t = next(what);
    if (t.string() || !form.matcher(t.text()).matches()) {
      throw fail(t.line(), "expected " + what + ", got " + show(t));
    }
    return t.text();
  }

  private void expect(String text, String context) {
    Token t = next("\"" + text + "\"");
    if (t.string() || !t.text().equals(text)) {
      throw fail(t.line(), context + ": expected \"" + text + "\", got " + show(t));
    }
  }

  private boolean peekIs(String text) {
    return at < tokens.size() && !tokens.get(at).string() && tokens.get(at).text().equals(text);
  }

  private Token next(String expected) {
    if (at >= tokens.size()) {
      throw fail(lastLine, "unexpected end of file; expected " + expected);
    }
    Token t = tokens.get(at++);
    lastLine = t.line();
    return t;
  }

  private static String show(Token t) {
    return t.string() ? "a string" : "\"" + t.text() + "\"";
  }

  private SourceException fail(int line, String reason) {
    return new SourceException(source, line, "", reason);
  }

  /** Identifiers (with dots), numbers, strings and one-character symbols; comments dropped. */
  private List<Token> tokenize(String text) {
    List<Token> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '/') {
        while (i < n && text.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
        int opened = line;
        int end = text.indexOf("*/", i + 2);
        if (end < 0) {
          throw fail(opened, "unterminated comment");
        }
        line += (int) text.substring(i, end).chars().filter(ch -> ch == '\n').count();
        i = end + 2;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && text.charAt(j) != c && text.charAt(j) != '\n') {
          j += text.charAt(j) == '\\' ? 2 : 1;
        }
        if (j >= n || text.charAt(j) != c) {
          throw fail(line, "unterminated string");
        }
        out.add(new Token(text.substring(i + 1, j), line, true));
        i = j + 1;
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
        int j = i;
        while (j < n && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_'
            || text.charAt(j) == '.')) {
          j++;
        }
        out.add(new Token(text.substring(i, j), line, false));
        i = j;
      } else {
        out.add(new Token(String.valueOf(c), line, false));
        i++;
      }
    }
    return out;
  }
}
