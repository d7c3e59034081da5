package io.trellis.identity.csr;

import java.util.Arrays;

/**
 * What a proxy sends to be certified (Linkerd's {@code CertifyRequest}).
 *
 * @param identity the identity name it asks for
 * @param token the bearer token proving it is that workload
 * @param csr the DER-encoded PKCS#10 request
 */
public record CertifyRequest(String identity, String token, byte[] csr) {

  public CertifyRequest {
    csr = csr == null ? new byte[0] : csr.clone();
  }

  @Override
  public byte[] csr() {
    return csr.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CertifyRequest r && java.util.Objects.equals(identity, r.identity)
        && java.util.Objects.equals(token, r.token) && Arrays.equals(csr, r.csr);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(identity, token, Arrays.hashCode(csr));
  }

  @Override
  public String toString() {
    // The token is a secret: never in logs.
    return "CertifyRequest[identity=" + identity + ", csr=" + csr.length + " bytes]";
  }
}
