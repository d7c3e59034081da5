package io.trellis.identity.token;

import io.trellis.identity.IdentityName;

/**
 * Checks a bearer token and says which identity its bearer has proven to be. Implementations:
 * {@link WorkloadTokens} (HOCON mode); a Kubernetes TokenReview validator maps
 * {@code system:serviceaccount:<ns>:<sa>} to {@code <sa>.<ns>.serviceaccount.identity...}.
 *
 * <p>Implementations may block (a TokenReview is an API call): the identity service calls them
 * off the actor and stream threads.
 */
@FunctionalInterface
public interface TokenValidator {

  /**
   * @return the identity the token proves
   * @throws TokenException INVALID when the token proves nothing, UNAVAILABLE when it could not
   *     be checked now (the caller may retry)
   */
  IdentityName validate(String token) throws TokenException;
}
