package io.trellis.identity.pem;

import io.trellis.identity.x509.Certificates;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;

/** Reads and writes certificates and private keys as PEM. */
public final class Pem {

  private Pem() {}

  /** PEM text of the certificates, in order. */
  public static String encode(List<X509Certificate> certs) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (X509Certificate cert : certs) {
        writer.writeObject(cert);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** PEM text of one certificate. */
  public static String encode(X509Certificate cert) {
    return encode(List.of(cert));
  }

  /** PEM text of a private key as unencrypted PKCS#8 ("PRIVATE KEY"). */
  public static String encode(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      // PKCS#8 rather than the SEC1 "EC PRIVATE KEY" JcaPEMWriter would choose for a KeyPair.
      writer.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Reads all certificates of a PEM file; at least one is required. */
  public static List<X509Certificate> readCertificates(Path file) throws PemException {
    return decodeCertificates(read(file), file.toString());
  }

  /** Reads the private key of a PEM file (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY"). */
  public static PrivateKey readPrivateKey(Path file) throws PemException {
    return decodePrivateKey(read(file), file.toString());
  }

  /**
   * Decodes all certificates in PEM text.
   *
   * @param source names the text in errors (a file name, a config key)
   */
  public static List<X509Certificate> decodeCertificates(String pem, String source)
      throws PemException {
    List<X509Certificate> certs = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (object instanceof X509CertificateHolder holder) {
          certs.add(Certificates.toJca(holder));
        } else {
          throw new PemException(source, "expected only CERTIFICATE blocks, found "
              + describe(object) + " (is this a key file?)");
        }
      }
    } catch (IOException | IllegalStateException e) {
      throw new PemException(source, "not valid PEM: " + e.getMessage(), e);
    }
    if (certs.isEmpty()) {
      throw new PemException(source, "no CERTIFICATE block found (expected -----BEGIN CERTIFICATE-----)");
    }
    return List.copyOf(certs);
  }

  /** Decodes the one private key in PEM text. */
  public static PrivateKey decodePrivateKey(String pem, String source) throws PemException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    PrivateKey key = null;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        PrivateKey found;
        if (object instanceof PrivateKeyInfo info) {
          found = converter.getPrivateKey(info);
        } else if (object instanceof PEMKeyPair pair) {
          // Only the private part: the public key is optional in SEC1 and not needed.
          found = converter.getPrivateKey(pair.getPrivateKeyInfo());
        } else if (object instanceof PKCS8EncryptedPrivateKeyInfo
            || object instanceof PEMEncryptedKeyPair) {
          throw new PemException(source, "the private key is encrypted; Trellis needs it "
              + "unencrypted (protect the file with permissions 0600 instead)");
        } else if (object instanceof X509CertificateHolder) {
          throw new PemException(source, "expected a PRIVATE KEY block, found a CERTIFICATE"
              + " (are the certificate and key files swapped?)");
        } else {
          throw new PemException(source, "expected a PRIVATE KEY block, found " + describe(object));
        }
        if (key != null) {
          throw new PemException(source, "more than one private key; expected exactly one");
        }
        key = found;
      }
    } catch (IOException | IllegalStateException e) {
      throw new PemException(source, "not a valid PEM private key: " + e.getMessage(), e);
    }
    if (key == null) {
      throw new PemException(source, "no PRIVATE KEY block found (expected -----BEGIN PRIVATE KEY-----)");
    }
    return key;
  }

  private static String read(Path file) throws PemException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new PemException(file.toString(), "no such file");
    } catch (IOException e) {
      throw new PemException(file.toString(), "cannot read: " + e, e);
    }
  }

  private static String describe(Object object) {
    return object.getClass().getSimpleName();
  }
}
