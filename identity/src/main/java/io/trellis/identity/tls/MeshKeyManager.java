package io.trellis.identity.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the current leaf of {@link MeshCredentials}. Aliases name a generation
 * ({@code trellis-3}) because the JDK asks for the alias, then the key, then the chain in
 * separate calls; a renewal in between must not pair the new key with the old chain.
 */
final class MeshKeyManager extends X509ExtendedKeyManager {

  private static final String PREFIX = "trellis-";

  private final MeshCredentials credentials;

  MeshKeyManager(MeshCredentials credentials) {
    this.credentials = credentials;
  }

  private String alias(String keyType) {
    MeshCredentials.Snapshot s = credentials.snapshot();
    if (s.current() == null || !s.current().key().getAlgorithm().equals(keyType)) {
      return null; // no certificate yet: the handshake fails, the proxy is not ready
    }
    return PREFIX + s.generation();
  }

  private String alias(String[] keyTypes) {
    if (keyTypes == null) {
      return null;
    }
    for (String keyType : keyTypes) {
      String alias = alias(keyType);
      if (alias != null) {
        return alias;
      }
    }
    return null;
  }

  private LeafCredentials forAlias(String alias) {
    MeshCredentials.Snapshot s = credentials.snapshot();
    if (alias == null || !alias.startsWith(PREFIX) || s.current() == null) {
      return null;
    }
    long generation;
    try {
      generation = Long.parseLong(alias.substring(PREFIX.length()));
    } catch (NumberFormatException e) {
      return null;
    }
    if (generation == s.generation()) {
      return s.current();
    }
    return generation == s.generation() - 1 ? s.previous() : null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return alias(keyTypes);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return alias(keyTypes);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    String alias = alias(keyType);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return getClientAliases(keyType, issuers);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    LeafCredentials leaf = forAlias(alias);
    return leaf == null ? null : leaf.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    LeafCredentials leaf = forAlias(alias);
    return leaf == null ? null : leaf.key();
  }
}
