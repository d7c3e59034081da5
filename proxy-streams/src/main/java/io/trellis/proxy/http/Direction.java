package io.trellis.proxy.http;

/** Which side of the sidecar a request passes through; also its {@code direction} metric label. */
public enum Direction {
  /** From this workload's app to a service (or egress). */
  OUTBOUND("outbound"),
  /** From another workload (or anyone) to this workload's app. */
  INBOUND("inbound");

  private final String label;

  Direction(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
