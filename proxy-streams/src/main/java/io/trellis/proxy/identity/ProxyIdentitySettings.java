package io.trellis.proxy.identity;

import com.typesafe.config.Config;
import io.trellis.config.HostPort;
import io.trellis.identity.IdentityName;
import io.trellis.identity.renew.RenewalSchedule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a proxy gets its certificate.
 *
 * @param identity the identity name it asks for (its workload's service account)
 * @param tokenFile the workload's token ({@code <state-dir>/tokens/<workload>.token}; 0600)
 * @param trustAnchors the trust bundle PEM ({@code <state-dir>/ca/bundle.crt}), re-read while
 *     running so an anchor rotation's overlap bundle arrives without a restart
 * @param identityService the identity API's addresses (the control plane's), tried in turn
 * @param renewal when to renew and how to back off ({@code trellis.identity.renew})
 * @param requestTimeout deadline of one Certify call ({@code trellis.proxy.identity})
 * @param bundleCheckInterval how often the trust bundle file is re-read
 * @param warnAfterFailures failed attempts in a row after which each one is logged as a warning
 */
public record ProxyIdentitySettings(
    IdentityName identity,
    Path tokenFile,
    Path trustAnchors,
    List<HostPort> identityService,
    RenewalSchedule renewal,
    Duration requestTimeout,
    Duration bundleCheckInterval,
    int warnAfterFailures) {

  public ProxyIdentitySettings {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(trustAnchors, "trustAnchors");
    identityService = List.copyOf(identityService);
    if (identityService.isEmpty()) {
      throw new IllegalArgumentException("no identity service address");
    }
  }

  /**
   * Reads {@code trellis.proxy.identity} and {@code trellis.identity.renew} from a resolved
   * config that includes the reference.conf files.
   */
  public static ProxyIdentitySettings fromConfig(Config root, IdentityName identity,
      Path tokenFile, Path trustAnchors, List<HostPort> identityService) {
    Config c = root.getConfig("trellis.proxy.identity");
    return new ProxyIdentitySettings(identity, tokenFile, trustAnchors, identityService,
        RenewalSchedule.fromConfig(root), c.getDuration("request-timeout"),
        c.getDuration("bundle-check-interval"), c.getInt("warn-after-failures"));
  }

  /** {@code trellis.proxy.identity.enabled}: off runs the proxy without identity (plain). */
  public static boolean enabled(Config root) {
    return root.getBoolean("trellis.proxy.identity.enabled");
  }
}
