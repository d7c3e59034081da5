package io.trellis.cli.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.cli.profile.GeneratedProfile.Route;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The .proto parser finds every rpc, whatever surrounds it. */
class ProtoRoutesTest {
  private static List<String> routes(String proto) {
    return ProtoRoutes.read("t.proto", proto).stream()
        .map(r -> r.method() + " " + r.name() + " " + r.pathRegex() + (r.retryable() ? " retry" : ""))
        .toList();
  }

  @Test
  void withoutAPackageThePathIsServiceAndMethod() {
    assertEquals(List.of("POST /Greeter/SayHello /Greeter/SayHello"),
        routes("service Greeter { rpc SayHello (Req) returns (Resp); }"));
  }

  @Test
  void aTypeNamedStreamAndNestedOptionBlocks() {
    assertEquals(List.of("POST /p.S/A /p\\.S/A retry"), routes("""
        package p;
        service S {
          rpc A(stream) returns (stream stream) {
            option (x) = { nested: { deeper: 1 } };
            option idempotency_level = IDEMPOTENT;
          }
        }
        """));
  }

  @Test
  void serviceWordsInsideStringsCommentsAndMessagesAreNotServices() {
    assertEquals(List.of("POST /q.Real/Go /q\\.Real/Go"), routes("""
        syntax = 'proto3'; // service Fake { rpc X(A) returns (B); }
        package q;
        option go_package = "service Fake { rpc X(A) returns (B); }";
        message M { message service { string rpc = 1; } }
        enum E { service_a = 0; }
        service Real { ; rpc Go(M) returns (M); }
        """));
  }

  @Test
  void idempotencyOtherThanSafeIsNotRetryable() {
    List<Route> r = ProtoRoutes.read("t.proto",
        "service S { rpc A(X) returns (Y) { option idempotency_level = IDEMPOTENCY_UNKNOWN; } }");
    assertEquals(false, r.get(0).retryable());
  }
}
