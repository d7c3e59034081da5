package io.trellis.actors.destination;

import com.google.protobuf.Message;
import io.trellis.api.destination.DestinationProfile;
import io.trellis.api.destination.EndpointSet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Wire format of the {@link ControlPlaneMessage}s between control-plane nodes: actor refs in
 * Pekko's string form, updates as the destination API's own protobuf bytes (so a node and a proxy
 * read the same encoding). Nodes of one cluster run the same build; the manifests are short and
 * stable anyway so that a rolling restart can mix two builds that agree on them.
 */
public final class ControlPlaneSerializer extends SerializerWithStringManifest {
  private static final String SUBSCRIBE_ENDPOINTS = "se";
  private static final String SUBSCRIBE_PROFILE = "sp";
  private static final String SUBSCRIBED = "a";
  private static final String PUBLISHED_ENDPOINTS = "pe";
  private static final String PUBLISHED_PROFILE = "pp";

  private final ActorRefResolver refs;

  public ControlPlaneSerializer(ExtendedActorSystem system) {
    this.refs = ActorRefResolver.get(Adapter.toTyped(system));
  }

  @Override
  public int identifier() {
    return 0x7472_6c73; // "trls"
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof ServiceDestination.Subscribe s) {
      return s.topic() == ServiceDestination.Topic.ENDPOINTS ? SUBSCRIBE_ENDPOINTS : SUBSCRIBE_PROFILE;
    }
    if (o instanceof DestinationStream.Subscribed) {
      return SUBSCRIBED;
    }
    if (o instanceof DestinationStream.Published p) {
      if (p.update() instanceof EndpointSet) {
        return PUBLISHED_ENDPOINTS;
      }
      if (p.update() instanceof DestinationProfile) {
        return PUBLISHED_PROFILE;
      }
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof DestinationStream.Published p) {
      return p.update().toByteArray();
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      if (o instanceof ServiceDestination.Subscribe s) {
        out.writeUTF(refs.toSerializationFormat(s.subscriber()));
      } else if (o instanceof DestinationStream.Subscribed s) {
        out.writeUTF(refs.toSerializationFormat(s.publisher()));
      } else {
        throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case PUBLISHED_ENDPOINTS -> published(EndpointSet.parseFrom(bytes));
        case PUBLISHED_PROFILE -> published(DestinationProfile.parseFrom(bytes));
        case SUBSCRIBE_ENDPOINTS -> new ServiceDestination.Subscribe(
            ServiceDestination.Topic.ENDPOINTS, ref(bytes));
        case SUBSCRIBE_PROFILE -> new ServiceDestination.Subscribe(
            ServiceDestination.Topic.PROFILE, ref(bytes));
        case SUBSCRIBED -> new DestinationStream.Subscribed(ref(bytes));
        default -> throw new NotSerializableException("unknown manifest " + manifest);
      };
    } catch (IOException e) {
      NotSerializableException failure = new NotSerializableException(
          "bad " + manifest + " message: " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  private static DestinationStream.Published published(Message update) {
    return new DestinationStream.Published(update);
  }

  private <T> ActorRef<T> ref(byte[] bytes) throws IOException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      return refs.resolveActorRef(in.readUTF());
    }
  }
}
