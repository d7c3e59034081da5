package io.trellis.identity;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A workload's identity name, the one DNS SAN of its certificate:
 * {@code <service-account>.<namespace>.serviceaccount.identity.<control-ns>.<trust-domain>},
 * as in Linkerd, e.g. {@code web.emojivoto.serviceaccount.identity.trellis.cluster.local}.
 *
 * <p>Every part is made of RFC 1123 DNS labels (lowercase letters, digits and hyphens, 1 to 63
 * characters, no hyphen at either end); the trust domain may have several labels. Names are
 * compared exactly: the canonical form is lowercase, and parsing lowercases nothing, so that
 * the name a proxy asked for is byte for byte the name in its certificate.
 */
public record IdentityName(
    String serviceAccount, String namespace, String controlNamespace, String trustDomain) {

  private static final String MARKER = ".serviceaccount.identity.";
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final int MAX_NAME = 253;

  public IdentityName {
    requireLabel("service account", serviceAccount);
    requireLabel("namespace", namespace);
    requireLabel("control namespace", controlNamespace);
    requireDomain("trust domain", trustDomain);
    int length = serviceAccount.length() + namespace.length() + MARKER.length() + 1
        + controlNamespace.length() + 1 + trustDomain.length();
    if (length > MAX_NAME) {
      throw new IdentityNameException(
          "identity name would be " + length + " characters; DNS names allow at most " + MAX_NAME);
    }
  }

  /**
   * Parses a full identity name.
   *
   * @throws IdentityNameException naming what is wrong with it
   */
  public static IdentityName parse(String name) {
    if (name == null || name.isEmpty()) {
      throw new IdentityNameException("identity name is empty");
    }
    int marker = name.indexOf(MARKER);
    if (marker < 0) {
      throw new IdentityNameException("'" + name + "' is not an identity name: expected "
          + "<service-account>.<namespace>.serviceaccount.identity.<control-ns>.<trust-domain>");
    }
    String workload = name.substring(0, marker);
    String control = name.substring(marker + MARKER.length());
    int dot = workload.indexOf('.');
    int controlDot = control.indexOf('.');
    if (dot < 0 || workload.indexOf('.', dot + 1) >= 0) {
      throw new IdentityNameException("'" + name + "': expected exactly <service-account>.<namespace>"
          + " before .serviceaccount.identity., found '" + workload + "'");
    }
    if (controlDot < 0) {
      throw new IdentityNameException("'" + name + "': expected <control-ns>.<trust-domain>"
          + " after .serviceaccount.identity., found '" + control + "'");
    }
    try {
      return new IdentityName(
          workload.substring(0, dot),
          workload.substring(dot + 1),
          control.substring(0, controlDot),
          control.substring(controlDot + 1));
    } catch (IdentityNameException e) {
      throw new IdentityNameException("'" + name + "': " + e.getMessage());
    }
  }

  /** The full name, as it appears in the certificate's DNS SAN. */
  public String value() {
    return serviceAccount + "." + namespace + MARKER + controlNamespace + "." + trustDomain;
  }

  @Override
  public String toString() {
    return value();
  }

  /** True when {@code label} is a valid RFC 1123 DNS label (used for workload names too). */
  public static boolean isDnsLabel(String label) {
    return label != null && LABEL.matcher(label).matches();
  }

  static void requireLabel(String what, String label) {
    if (!isDnsLabel(label)) {
      throw new IdentityNameException(what + " '" + label + "' is not a DNS label"
          + hint(label) + " (lowercase letters, digits and '-', 1 to 63 characters,"
          + " starting and ending with a letter or digit)");
    }
  }

  private static void requireDomain(String what, String domain) {
    if (domain == null || domain.isEmpty()) {
      throw new IdentityNameException(what + " is empty");
    }
    for (String label : domain.split("\\.", -1)) {
      if (!isDnsLabel(label)) {
        throw new IdentityNameException(
            what + " '" + domain + "' has an invalid DNS label '" + label + "'" + hint(label));
      }
    }
  }

  private static String hint(String label) {
    if (label != null && !label.equals(label.toLowerCase(Locale.ROOT)) && isDnsLabel(label.toLowerCase(Locale.ROOT))) {
      return " (uppercase letters: use '" + label.toLowerCase(Locale.ROOT) + "')";
    }
    return "";
  }
}
