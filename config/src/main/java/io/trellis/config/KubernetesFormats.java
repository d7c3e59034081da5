package io.trellis.config;

import io.trellis.config.internal.GoDuration;
import io.trellis.config.internal.Names;
import java.time.Duration;

/**
 * The value formats Kubernetes resources use, checked exactly as the loader checks them, for tools
 * that write resources (such as {@code trellis profile}) and must not produce what the loader
 * would refuse. Each throws {@link IllegalArgumentException} with a reason that shows the
 * expected form.
 */
public final class KubernetesFormats {
  private KubernetesFormats() {}

  /** A Go duration ("300ms", "1m30s", "0"), as ServiceProfile timeouts and TTLs are written. */
  public static Duration duration(String text) {
    return GoDuration.parse(text);
  }

  /** Throws unless {@code name} can name a service (a DNS-1035 label). */
  public static void checkServiceName(String name) {
    Names.checkLabel(name);
  }

  /** Throws unless {@code name} can name a namespace (a DNS-1123 label). */
  public static void checkNamespace(String name) {
    Names.checkNamespace(name);
  }
}
