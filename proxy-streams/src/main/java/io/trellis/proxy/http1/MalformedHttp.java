package io.trellis.proxy.http1;

/** A rule of HTTP/1.1 broken by the peer; {@code status} is the answer (400, 431, 501). */
public final class MalformedHttp extends Exception {
  private final int status;

  public MalformedHttp(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
