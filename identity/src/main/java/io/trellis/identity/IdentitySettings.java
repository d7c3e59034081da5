package io.trellis.identity;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.trellis.identity.ca.CaSettings;
import io.trellis.identity.csr.IssuanceSettings;
import io.trellis.identity.renew.RenewalSchedule;

/**
 * All of {@code trellis.identity} (see reference.conf), read once: the CA's, the signer's and
 * the proxy's renewal settings.
 */
public record IdentitySettings(CaSettings ca, IssuanceSettings issuance, RenewalSchedule renewal) {

  public static IdentitySettings fromConfig(Config root) {
    return new IdentitySettings(CaSettings.fromConfig(root), IssuanceSettings.fromConfig(root),
        RenewalSchedule.fromConfig(root));
  }

  /** The defaults from reference.conf. */
  public static IdentitySettings defaults() {
    return fromConfig(ConfigFactory.defaultReference(IdentitySettings.class.getClassLoader()));
  }

  /**
   * The same settings for another trust domain and control namespace (the control plane's
   * {@code trellis.control-plane.identity} block names both, for the identities it announces).
   */
  public IdentitySettings withDomain(String controlNamespace, String trustDomain) {
    return new IdentitySettings(new CaSettings(trustDomain, controlNamespace, ca.anchorLifetime(),
        ca.issuerLifetime(), ca.clockSkew()), issuance, renewal);
  }

  /** The identity name of a workload's service account in a namespace of this mesh. */
  public IdentityName identityOf(String serviceAccount, String namespace) {
    return new IdentityName(serviceAccount, namespace, ca.controlNamespace(), ca.trustDomain());
  }
}
