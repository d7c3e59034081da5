package io.trellis.proxy.tap;

/**
 * Which requests a tap wants, on the request's own fields: exact method, path prefix, exact
 * authority. An empty or null field matches anything. A {@code rsp} or {@code end} matches when its
 * request does.
 */
public record TapFilter(String method, String pathPrefix, String authority) {
  public static final TapFilter ALL = new TapFilter("", "", "");

  public TapFilter {
    method = method == null ? "" : method;
    pathPrefix = pathPrefix == null ? "" : pathPrefix;
    authority = authority == null ? "" : authority;
  }

  public boolean matches(TapRecord record) {
    return (method.isEmpty() || method.equalsIgnoreCase(record.method()))
        && (pathPrefix.isEmpty() || (record.path() != null && record.path().startsWith(pathPrefix)))
        && (authority.isEmpty() || authority.equalsIgnoreCase(record.authority()));
  }
}
