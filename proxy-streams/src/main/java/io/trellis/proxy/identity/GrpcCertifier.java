package io.trellis.proxy.identity;

import com.google.protobuf.ByteString;
import io.trellis.api.identity.CertifyResponse;
import io.trellis.api.identity.IdentityClient;
import io.trellis.config.HostPort;
import io.trellis.identity.csr.CertifyRequest;
import io.trellis.identity.csr.IssuedCertificate;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * The identity service's {@code Certify} over gRPC (plaintext, like the destination API). The
 * addresses are tried in turn: a failed call moves the next one to the next address.
 */
final class GrpcCertifier implements Certifier, AutoCloseable {
  private final ClassicActorSystemProvider system;
  private final List<HostPort> addresses;
  private final Duration timeout;
  private int index;
  private IdentityClient client;
  private boolean closed;

  GrpcCertifier(ClassicActorSystemProvider system, List<HostPort> addresses, Duration timeout) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no identity service address");
    }
    this.system = system;
    this.addresses = List.copyOf(addresses);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<IssuedCertificate> certify(CertifyRequest request) {
    IdentityClient c = client();
    return c.certify(io.trellis.api.identity.CertifyRequest.newBuilder()
            .setIdentity(request.identity())
            .setToken(ByteString.copyFromUtf8(request.token()))
            .setCertificateSigningRequest(ByteString.copyFrom(request.csr()))
            .build())
        .whenComplete((ok, failure) -> {
          if (failure != null) {
            failed(c);
          }
        })
        .thenApply(GrpcCertifier::issued);
  }

  /** Where the next request goes. */
  synchronized HostPort current() {
    return addresses.get(index);
  }

  private synchronized IdentityClient client() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (client == null) {
      HostPort a = addresses.get(index);
      client = IdentityClient.create(
          GrpcClientSettings.connectToServiceAt(a.host(), a.port(), system)
              .withTls(false)
              .withDeadline(scala.concurrent.duration.Duration.fromNanos(timeout.toNanos()))
              // The refresher retries, with backoff, across addresses; the client gives up soon.
              .withConnectionAttempts(2),
          system);
    }
    return client;
  }

  private synchronized void failed(IdentityClient failed) {
    if (failed != client) {
      return;
    }
    index = (index + 1) % addresses.size();
    client = null;
    failed.close();
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (client != null) {
      client.close();
      client = null;
    }
  }

  static IssuedCertificate issued(CertifyResponse answer) {
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      List<X509Certificate> intermediates = new ArrayList<>();
      for (ByteString der : answer.getIntermediateCertificatesList()) {
        intermediates.add(decode(x509, der));
      }
      return new IssuedCertificate(decode(x509, answer.getLeafCertificate()), intermediates);
    } catch (CertificateException e) {
      throw new CompletionException(new CertificateException(
          "the identity service answered with a certificate that does not parse: "
              + e.getMessage(), e));
    }
  }

  private static X509Certificate decode(CertificateFactory x509, ByteString der)
      throws CertificateException {
    return (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der.toByteArray()));
  }
}
