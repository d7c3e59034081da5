import io.trellis.identity.IdentityName;
import io.trellis.identity.IdentitySettings;
import io.trellis.identity.ca.Ca;
import io.trellis.identity.csr.CsrSigner;
import io.trellis.identity.csr.IssuedCertificate;
import io.trellis.identity.csr.LeafRequest;
import io.trellis.identity.pem.Pem;
import io.trellis.identity.tls.LeafCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * For bench/run's trellis-2hop-mtls path until proxies get certificates from the identity
 * service: a fresh CA and one leaf per service account, as PEM files for the proxy's hidden
 * --tls-trust-anchors/--tls-cert/--tls-key options.
 * Usage: java -cp "$(cat cli/target/classpath.txt)" bench/MeshPems.java DIR NAMESPACE SA...
 * Writes DIR/anchor.crt, DIR/SA.crt (leaf + issuer), DIR/SA.key.
 */
public class MeshPems {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String namespace = args[1];
    IdentitySettings settings = IdentitySettings.defaults();
    Clock clock = Clock.systemUTC();
    Ca ca = Ca.create(settings.ca(), clock);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("anchor.crt"), Pem.encode(ca.anchor().certificate()));
    for (int i = 2; i < args.length; i++) {
      IdentityName identity = settings.identityOf(args[i], namespace);
      LeafRequest request = LeafRequest.create(identity);
      CsrSigner signer = new CsrSigner(ca::issuer, token -> identity, settings.issuance(), clock);
      IssuedCertificate issued = signer.certify(request.toCertifyRequest(identity.value()));
      LeafCredentials leaf = LeafCredentials.accept(request, issued, ca.bundle(), clock.instant());
      Files.writeString(dir.resolve(args[i] + ".crt"), Pem.encode(leaf.chain()));
      Files.writeString(dir.resolve(args[i] + ".key"), Pem.encode(leaf.key()));
    }
  }
}
