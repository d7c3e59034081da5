package io.trellis.actors.identity;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.trellis.api.identity.CertifyRequest;
import io.trellis.api.identity.CertifyResponse;
import io.trellis.api.identity.Identity;
import io.trellis.api.identity.Timestamp;
import io.trellis.identity.csr.CsrSigner;
import io.trellis.identity.csr.IssuanceException;
import io.trellis.identity.csr.IssuedCertificate;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.grpc.GrpcServiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity gRPC service ({@code Certify}): hands the request to the {@link CsrSigner} on a
 * blocking executor (a token check may be an API call) and turns each refusal into a gRPC status
 * whose message starts with the reason, so the proxy's log says exactly what to fix.
 */
public final class IdentityGrpcService implements Identity {
  private static final Logger log = LoggerFactory.getLogger(IdentityGrpcService.class);

  private final CsrSigner signer;
  private final Executor blocking;

  public IdentityGrpcService(CsrSigner signer, Executor blocking) {
    this.signer = signer;
    this.blocking = blocking;
  }

  @Override
  public CompletionStage<CertifyResponse> certify(CertifyRequest in) {
    io.trellis.identity.csr.CertifyRequest request = new io.trellis.identity.csr.CertifyRequest(
        in.getIdentity(), in.getToken().toString(StandardCharsets.UTF_8),
        in.getCertificateSigningRequest().toByteArray());
    return CompletableFuture.supplyAsync(() -> {
      try {
        IssuedCertificate issued = signer.certify(request);
        log.debug("certified {} until {}", request.identity(), issued.validUntil());
        return toProto(issued);
      } catch (IssuanceException e) {
        log.info("refused a certificate for '{}': {}", request.identity(), e.getMessage());
        throw new CompletionException(new GrpcServiceException(
            statusOf(e.reason()).withDescription(e.getMessage())));
      }
    }, blocking);
  }

  /** The gRPC status of a refusal: what the caller got wrong, or that it may try again. */
  static Status statusOf(IssuanceException.Reason reason) {
    return switch (reason) {
      case BAD_IDENTITY, BAD_CSR, UNSUPPORTED_KEY, SAN_MISMATCH -> Status.INVALID_ARGUMENT;
      case TOKEN_INVALID -> Status.UNAUTHENTICATED;
      case TOKEN_MISMATCH -> Status.PERMISSION_DENIED;
      case TOKEN_UNAVAILABLE -> Status.UNAVAILABLE;
      case ISSUER_EXPIRED, ISSUER_NOT_YET_VALID -> Status.FAILED_PRECONDITION;
    };
  }

  static CertifyResponse toProto(IssuedCertificate issued) {
    CertifyResponse.Builder out = CertifyResponse.newBuilder()
        .setLeafCertificate(der(issued.leaf()));
    for (X509Certificate c : issued.intermediates()) {
      out.addIntermediateCertificates(der(c));
    }
    Instant until = issued.validUntil();
    return out.setValidUntil(Timestamp.newBuilder()
        .setSeconds(until.getEpochSecond()).setNanos(until.getNano())).build();
  }

  private static ByteString der(X509Certificate certificate) {
    try {
      return ByteString.copyFrom(certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode " + certificate.getSubjectX500Principal(), e);
    }
  }
}
