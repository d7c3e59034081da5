package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trellis.api.tap.TapEvent;
import org.junit.jupiter.api.Test;

/** top's rows from tap events, and tap's line shapes (REFERENCE.md). */
class TopTableTest {
  @Test
  void rowsCountEndedRequestsWithLatenciesAndSuccessRate() {
    TopTable table = new TopTable();
    request(table, "web", "1", "/api/vote", 200, "", 900);
    request(table, "web", "2", "/api/vote", 500, "", 15_000);
    request(table, "web", "3", "/api/vote", 200, "", 2_000);
    request(table, "web", "4", "/api/list", 200, "", 300);
    request(table, "voting", "1", "/Vote", 200, "2", 400); // gRPC UNKNOWN: a failure
    // an end whose req was never seen (started before the tap) is not counted
    table.add(TapEvent.newBuilder().setKind(TapEvent.Kind.END).setId("0:99").setProxy("web")
        .setProxyDirection("out").setStatus(200).build());
    assertEquals(
        """
        Source  Destination  Method  Path       Count  Best   Worst  Last   SuccessRate
        bot     web          GET     /api/vote  3      900µs  15ms   2ms    66.67%
        bot     voting       GET     /Vote      1      400µs  400µs  400µs  0.00%
        bot     web          GET     /api/list  1      300µs  300µs  300µs  100.00%
        """,
        table.table());
  }

  @Test
  void tapLinesHaveLinkerdsShape() {
    TapEvent req = event(TapEvent.Kind.REQ, "web").setMethod("GET").setAuthority("web-svc:80")
        .setPath("/api/list").build();
    assertEquals("req id=0:1 proxy=out src=10.0.0.1:5000 dst=10.0.0.2:4143 tls=disabled "
        + ":method=GET :authority=web-svc:80 :path=/api/list", TapLines.text(req, false));
    TapEvent rsp = event(TapEvent.Kind.RSP, "web").setStatus(200).setLatencyUs(1234).build();
    assertEquals("rsp id=0:1 proxy=out src=10.0.0.1:5000 dst=10.0.0.2:4143 tls=disabled "
        + ":status=200 latency=1234µs src_res=deploy/bot dst_res=deploy/web",
        TapLines.text(rsp, true));
    TapEvent end = event(TapEvent.Kind.END, "web").setGrpcStatus("0").setDurationUs(56)
        .setResponseBytes(1024).setReplay(true).build();
    assertEquals("end id=0:1 proxy=out src=10.0.0.1:5000 dst=10.0.0.2:4143 tls=disabled "
        + "grpc-status=OK duration=56µs response-length=1024B replay=true", TapLines.text(end, false));
    assertEquals("{\"type\":\"end\",\"id\":\"0:1\",\"proxy\":\"bot\",\"direction\":\"out\","
        + "\"source\":\"10.0.0.1:5000\",\"destination\":\"10.0.0.2:4143\","
        + "\"sourceResource\":\"deploy/bot\",\"destinationResource\":\"deploy/web\","
        + "\"tls\":\"disabled\",\"status\":0,\"grpcStatus\":\"OK\",\"durationMicros\":56,"
        + "\"responseBytes\":1024,\"timestampMillis\":0,\"replay\":true}", TapLines.json(end));
  }

  private static TapEvent.Builder event(TapEvent.Kind kind, String dst) {
    return TapEvent.newBuilder().setKind(kind).setId("0:1").setProxy("bot").setProxyDirection("out")
        .setSrc("10.0.0.1:5000").setDst("10.0.0.2:4143").setTls("disabled")
        .setSrcResource("deploy/bot").setDstResource("deploy/" + dst);
  }

  private static void request(
      TopTable table, String dst, String id, String path, int status, String grpc, long latencyUs) {
    TapEvent.Builder base = TapEvent.newBuilder().setId("0:" + id).setProxy("bot")
        .setProxyDirection("out").setSrcResource("deploy/bot").setDstResource("deploy/" + dst)
        .setSrc("10.0.0.1:5000").setDst("10.0.0.2:4143");
    table.add(base.clone().setKind(TapEvent.Kind.REQ).setMethod("GET").setPath(path).build());
    table.add(base.clone().setKind(TapEvent.Kind.RSP).setStatus(status).setLatencyUs(latencyUs).build());
    table.add(base.clone().setKind(TapEvent.Kind.END).setStatus(status).setGrpcStatus(grpc).build());
  }
}
