package io.trellis.proxy.identity;

import io.trellis.identity.csr.CertifyRequest;
import io.trellis.identity.csr.IssuedCertificate;
import java.util.concurrent.CompletionStage;

/** Asks a CA to sign a CSR: the identity service over gRPC ({@link GrpcCertifier}). */
@FunctionalInterface
public interface Certifier {
  /** Completes with the signed leaf, or fails with why (a gRPC status, a timeout). */
  CompletionStage<IssuedCertificate> certify(CertifyRequest request);
}
