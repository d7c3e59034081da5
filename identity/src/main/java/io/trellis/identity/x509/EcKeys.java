package io.trellis.identity.x509;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;

/** ECDSA P-256 keys, the only key type Trellis issues (as Linkerd). */
public final class EcKeys {

  /** JCA name of the signature algorithm every Trellis certificate and CSR uses. */
  public static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ECParameterSpec P256 = ((ECKey) generate().getPublic()).getParams();

  private EcKeys() {}

  /** A fresh P-256 key pair. */
  public static KeyPair generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot generate ECDSA P-256 keys", e);
    }
  }

  /** True when the key is an EC key on the P-256 curve (secp256r1). */
  public static boolean isP256(java.security.Key key) {
    if (!(key instanceof ECKey ec)) {
      return false;
    }
    ECParameterSpec params = ec.getParams();
    return params.getCurve().equals(P256.getCurve())
        && params.getOrder().equals(P256.getOrder())
        && params.getGenerator().equals(P256.getGenerator());
  }

  /**
   * True when the private key belongs to the public key. Checked by signing a random challenge,
   * which works for any algorithm the JVM knows without re-deriving the public point.
   */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    String algorithm = signatureAlgorithm(publicKey);
    if (algorithm == null || !privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      RANDOM.nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String signatureAlgorithm(PublicKey key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> SIGNATURE_ALGORITHM;
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
  }

  /** A short description for error messages: "EC P-256", "EC (another curve)", "RSA". */
  public static String describe(java.security.Key key) {
    if (isP256(key)) {
      return "ECDSA P-256";
    }
    if (key instanceof ECKey) {
      return "EC on another curve";
    }
    return key.getAlgorithm();
  }
}
