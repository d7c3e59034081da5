package io.trellis.proxy.balance;

import io.trellis.config.ServiceRef;

/** Finds (creating on first use) the destination of a service. Thread-safe. */
public interface Destinations {
  Destination destination(ServiceRef service);
}
