package io.trellis.cli.profile;

import io.trellis.cli.profile.GeneratedProfile.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Routes from observed requests: each distinct method and path shape becomes a route. A segment
 * that looks like an identifier rather than a name (a number, a UUID, a long hex string) becomes
 * a parameter, so {@code GET /api/vote/123} and {@code GET /api/vote/456} are one route, {@code GET
 * /api/vote/{id}} with pathRegex {@code /api/vote/[^/]*}. The query is ignored: the proxy matches
 * pathRegex against the path alone.
 */
public final class RouteInference {
  /** Linkerd's default --tap-route-limit. */
  public static final int DEFAULT_LIMIT = 20;

  private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
  private static final Pattern UUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  // Object ids, digests, commit hashes: long, and with a digit so that a word like "deadbeef" or
  // "facade" stays a name.
  private static final Pattern HEX = Pattern.compile("(?=[a-fA-F]*[0-9])[0-9a-fA-F]{8,}");
  private static final String PARAM = "{id}";

  private RouteInference() {}

  /**
   * The routes of {@code requests}, sorted by path then method, at most {@code limit} of them:
   * like Linkerd, the first {@code limit} distinct routes seen are kept.
   */
  public static List<Route> infer(List<ObservedRequests.Request> requests, int limit) {
    Map<String, Route> byName = new TreeMap<>();
    for (ObservedRequests.Request r : requests) {
      if (byName.size() >= limit) {
        break;
      }
      String template = template(r.path());
      String method = r.method().toUpperCase(Locale.ROOT);
      String name = method + " " + template;
      byName.computeIfAbsent(
          name, n -> new Route(n, method, PathTemplates.toRegex(template)));
    }
    List<Route> routes = new ArrayList<>(byName.values());
    routes.sort(Route.ORDER);
    return routes;
  }

  /** {@code /api/vote/123?x=1} as {@code /api/vote/{id}}. */
  static String template(String path) {
    int end = path.length();
    for (char c : new char[] {'?', '#'}) {
      int i = path.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    String p = path.substring(0, end);
    if (p.isEmpty()) {
      return "/";
    }
    String[] segments = p.split("/", -1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        out.append('/');
      }
      String s = segments[i];
      // A literal brace would read as a template parameter; such a segment is a parameter anyway.
      boolean param = isIdentifier(s) || s.indexOf('{') >= 0 || s.indexOf('}') >= 0;
      out.append(param ? PARAM : s);
    }
    return out.toString();
  }

  static boolean isIdentifier(String segment) {
    return !segment.isEmpty()
        && (NUMBER.matcher(segment).matches()
            || UUID.matcher(segment).matches()
            || HEX.matcher(segment).matches());
  }
}
