package io.trellis.config.internal;

import io.trellis.config.HostPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Address syntax: IP literals, host names and {@code host:port}. Never resolves a name: a
 * workload's address is its identity in the mesh and must not depend on DNS at load time.
 */
public final class Addresses {
  private static final Pattern IPV4 =
      Pattern.compile(
          "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  // RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
  private static final Pattern HOSTNAME =
      Pattern.compile(
          "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");
  private static final Pattern DIGITS = Pattern.compile("\\d{1,9}");
  // "127.0.0.300" is neither a valid IPv4 literal nor a host name anyone meant.
  private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[\\d.]+");

  private Addresses() {}

  public static boolean isIpv4(String s) {
    return IPV4.matcher(s).matches();
  }

  public static boolean isIpv6(String s) {
    // InetAddress parses anything with a colon as a literal and never looks it up.
    if (s.indexOf(':') < 0 || s.indexOf('[') >= 0 || s.indexOf('%') >= 0) {
      return false;
    }
    try {
      InetAddress.getByName(s);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  public static boolean isIpLiteral(String s) {
    return isIpv4(s) || isIpv6(s);
  }

  public static boolean isHostName(String s) {
    return s.length() <= 253
        && HOSTNAME.matcher(s).matches()
        && !DIGITS_AND_DOTS.matcher(s).matches();
  }

  /** A port number 1..65535 from text, or an exception whose message says why not. */
  public static int port(String text) {
    String t = text.trim();
    if (DIGITS.matcher(t).matches()) {
      int p = Integer.parseInt(t);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    }
    throw new IllegalArgumentException("expected a port number 1..65535, got \"" + text + "\"");
  }

  /**
   * {@code ip:port} or {@code [ipv6]:port}; host names too when {@code allowHostNames}. IPv6 needs
   * brackets so that the port is unambiguous.
   */
  public static HostPort hostPort(String text, boolean allowHostNames) {
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("expected \"[ipv6]:port\", got \"" + text + "\"");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
      if (!isIpv6(host)) {
        throw new IllegalArgumentException("\"" + host + "\" is not an IPv6 address");
      }
    } else {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "expected \""
                + (allowHostNames ? "host" : "ip")
                + ":port\", got \""
                + text
                + "\" (no port)");
      }
      if (text.indexOf(':') != colon) {
        throw new IllegalArgumentException(
            "an IPv6 address needs brackets, as in \"[::1]:8080\"; got \"" + text + "\"");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
      checkHost(host, allowHostNames);
    }
    return new HostPort(allowHostNames ? host.toLowerCase(Locale.ROOT) : host, port(port));
  }

  /** Throws unless {@code host} is an IP literal, or a host name when those are allowed. */
  public static void checkHost(String host, boolean allowHostNames) {
    if (isIpLiteral(host)) {
      return;
    }
    if (allowHostNames) {
      if (!isHostName(host)) {
        throw new IllegalArgumentException(
            "\"" + host + "\" is neither an IP address nor a host name");
      }
      return;
    }
    throw new IllegalArgumentException(
        "expected an IPv4 or IPv6 address such as \"127.0.0.11\", got \""
            + host
            + "\" (workload addresses are never looked up in DNS)");
  }

  /**
   * A key under which two listeners collide: IPv6 literals are compared by value, so "::1" and
   * "0:0:0:0:0:0:0:1" are the same socket.
   */
  public static String socketKey(HostPort hp) {
    String host = hp.host();
    if (isIpv6(host)) {
      try {
        host = InetAddress.getByName(host).getHostAddress();
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e); // isIpv6 just parsed it
      }
    }
    return host.toLowerCase(Locale.ROOT) + "|" + hp.port();
  }

  /** Whether binding {@code host} also takes the port on every other address (0.0.0.0, ::). */
  public static boolean isWildcard(String host) {
    return host.equals("0.0.0.0")
        || (isIpv6(host) && socketKey(new HostPort(host, 1)).equals("0:0:0:0:0:0:0:0|1"));
  }
}
