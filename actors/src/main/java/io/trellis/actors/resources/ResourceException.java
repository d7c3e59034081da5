package io.trellis.actors.resources;

import io.grpc.Status;

/** A request the store refuses; the message is for the user, the status for the API. */
final class ResourceException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Status status;

  ResourceException(Status.Code code, String message) {
    super(message, null, false, false);
    this.status = Status.fromCode(code).withDescription(message);
  }

  Status status() {
    return status;
  }
}
