package io.trellis.proxy.tap;

import io.trellis.api.tap.TapEvent;
import io.trellis.proxy.http.Direction;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.apache.pekko.http.javadsl.model.RemoteAddress;

/** Event log records as Tap API messages: formatting happens here, off the request path. */
public final class TapProtos {
  private TapProtos() {}

  public static TapEvent toProto(EventLog.Observed observed) {
    if (observed instanceof EventLog.Observed.Dropped d) {
      return TapEvent.newBuilder()
          .setKind(TapEvent.Kind.NOTICE)
          .setDropped(d.count())
          .setMessage(d.count() + " events dropped (tap fell behind or over --max-rps)")
          .build();
    }
    EventLog.Observed.Event e = (EventLog.Observed.Event) observed;
    TapRecord r = e.record();
    TapEvent.Builder b =
        TapEvent.newBuilder()
            .setKind(kind(r.kind()))
            .setId("0:" + r.id())
            .setProxyDirection(r.direction() == Direction.OUTBOUND ? "out" : "in")
            .setSrc(address(r.src()))
            .setDst(address(r.dst()))
            .setTls(r.tls().value())
            .setMethod(r.method())
            .setAuthority(r.authority())
            .setPath(r.path())
            .setScheme(r.scheme())
            .setTimestampMs(r.wallMillis())
            .setReplay(e.replay());
    if (r.kind() == TapRecord.Kind.RSP) {
      b.setStatus(r.status()).setLatencyUs(r.nanos() / 1000);
    } else if (r.kind() == TapRecord.Kind.END) {
      b.setStatus(r.status()).setDurationUs(r.nanos() / 1000).setResponseBytes(r.responseBytes());
      if (r.error() != null) {
        b.setError(r.error());
      }
    }
    if (r.tls().tls()) {
      if (r.direction() == Direction.INBOUND) {
        b.setClientId(r.tls().peerId());
      } else {
        b.setServerId(r.tls().peerId());
      }
    }
    if (r.grpcStatus() != null) {
      b.setGrpcStatus(r.grpcStatus());
    }
    return b.build();
  }

  private static TapEvent.Kind kind(TapRecord.Kind kind) {
    return switch (kind) {
      case REQ -> TapEvent.Kind.REQ;
      case RSP -> TapEvent.Kind.RSP;
      case END -> TapEvent.Kind.END;
    };
  }

  /** ip:port of a socket address, pekko's remote address, a HostPort or an authority. */
  static String address(Object a) {
    if (a == null) {
      return "";
    }
    if (a instanceof InetSocketAddress s) {
      return (s.getAddress() != null ? s.getAddress().getHostAddress() : s.getHostString())
          + ":" + s.getPort();
    }
    if (a instanceof RemoteAddress r) {
      return r.getAddress().map(InetAddress::getHostAddress).orElse("unknown") + ":" + r.getPort();
    }
    return a.toString();
  }
}
