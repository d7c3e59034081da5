package io.trellis.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trellis.config.HostPort;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The plain parsers: Go durations, Kubernetes quantities, addresses, typo suggestions. */
class ParsersTest {
  @ParameterizedTest
  @CsvSource({"300ms, 300000000", "10s, 10000000000", "1m30s, 90000000000", "1h, 3600000000000",
      "1.5s, 1500000000", "0, 0", "2us, 2000", "5ns, 5", ".5s, 500000000", "1h1m1s1ms, 3661001000000"})
  void goDurations(String text, long nanos) {
    assertEquals(Duration.ofNanos(nanos), GoDuration.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10", "10 s", "10sec", "s", "-1s", "1d", "1m30", "1.s.5"})
  void badGoDurations(String text) {
    assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
  }

  @ParameterizedTest
  @CsvSource({"900m, 900", "1, 1000", "0.5, 500", "2k, 2000000", "1Ki, 1024000", "1e2, 100000",
      "0, 0", "1u, 1", "-100m, -100", "100, 100000"})
  void quantities(String text, long milli) {
    assertEquals(milli, Quantity.milli(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "90%", "1.2.3", "m", "1 m", "1mi"})
  void badQuantities(String text) {
    assertThrows(IllegalArgumentException.class, () -> Quantity.milli(text));
  }

  @Test
  void addresses() {
    assertTrue(Addresses.isIpLiteral("127.0.0.11"));
    assertTrue(Addresses.isIpLiteral("::1"));
    assertTrue(Addresses.isIpLiteral("fe80::1:2"));
    assertFalse(Addresses.isIpLiteral("127.1"));
    assertFalse(Addresses.isIpLiteral("localhost"));
    assertFalse(Addresses.isIpLiteral("256.0.0.1"));
    assertEquals(new HostPort("::1", 4140), Addresses.hostPort("[::1]:4140", false));
    assertEquals(new HostPort("old.example.com", 80), Addresses.hostPort("Old.Example.com:80", true));
    assertThrows(IllegalArgumentException.class, () -> Addresses.hostPort("old.example.com:80", false));
    assertThrows(IllegalArgumentException.class, () -> Addresses.hostPort("127.0.0.1:0", false));
    assertThrows(IllegalArgumentException.class, () -> Addresses.hostPort("[::1]4140", false));
    assertTrue(Addresses.isWildcard("0.0.0.0"));
    assertTrue(Addresses.isWildcard("::"));
    assertFalse(Addresses.isWildcard("127.0.0.1"));
  }

  @Test
  void typos() {
    List<String> keys = List.of("address", "app-port", "serves", "service-account", "proxy");
    assertEquals(Optional.of("app-port"), Typos.closest("app-prot", keys));
    assertEquals(Optional.of("app-port"), Typos.closest("appport", keys));
    assertEquals(Optional.of("address"), Typos.closest("adress", keys));
    assertEquals(Optional.of("serves"), Typos.closest("serve", keys));
    assertEquals(Optional.empty(), Typos.closest("colour", keys));
  }
}
