package io.trellis.config.internal;

import java.util.regex.Pattern;

/** Kubernetes name rules, so that names read here would also be valid in a cluster. */
public final class Names {
  // DNS-1035 label: services (their name is the first label of an authority) and workloads.
  private static final Pattern LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
  // DNS-1123 label: namespaces may start with a digit.
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  // DNS-1123 subdomain: service accounts.
  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private Names() {}

  /** Throws unless {@code name} can name a service or workload. */
  public static void checkLabel(String name) {
    if (!LABEL.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "\""
              + name
              + "\" is not a valid name: use at most 63 lowercase letters, digits and '-',"
              + " starting with a letter and ending with a letter or digit");
    }
  }

  public static void checkNamespace(String name) {
    if (!NAMESPACE.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "\""
              + name
              + "\" is not a valid namespace: use at most 63 lowercase letters, digits"
              + " and '-', starting and ending with a letter or digit");
    }
  }

  public static void checkServiceAccount(String name) {
    if (name.length() > 253 || !SUBDOMAIN.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "\""
              + name
              + "\" is not a valid service account name: use lowercase letters, digits,"
              + " '-' and '.'");
    }
  }
}
