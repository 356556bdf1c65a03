package io.insync.persistence.serialization;

import com.google.protobuf.InvalidProtocolBufferException;
import io.insync.persistence.group.GroupCodec;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.group.GroupSettings;
import io.insync.persistence.group.GroupState;
import io.insync.persistence.proto.GroupCursorsSaved;
import io.insync.persistence.proto.GroupLogged;
import io.insync.persistence.proto.GroupSnapshot;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** Serializes what the group entity stores, as protobuf. Identifier and manifests never change. */
public final class GroupEventSerializer extends SerializerWithStringManifest {

  /** Fixed forever: stored with every event. */
  public static final int IDENTIFIER = 7303;

  static final String LOGGED_V1 = "GL1";
  static final String CURSORS_SAVED_V1 = "GC1";
  static final String RECEIPTS_SAVED_V1 = "GR1";
  static final String SNAPSHOT_V1 = "GS1";
  /** The live state (only the test kit serializes it); same bytes as a snapshot. */
  static final String STATE_V1 = "GT1";

  public GroupEventSerializer(ExtendedActorSystem system) {}

  public GroupEventSerializer() {}

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof GroupEntity.Logged) return LOGGED_V1;
    if (o instanceof GroupEntity.CursorsSaved) return CURSORS_SAVED_V1;
    if (o instanceof GroupEntity.ReceiptsSaved) return RECEIPTS_SAVED_V1;
    if (o instanceof GroupSnapshot) return SNAPSHOT_V1;
    if (o instanceof GroupState) return STATE_V1;
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof GroupEntity.Logged e) return GroupCodec.toProto(e).toByteArray();
    if (o instanceof GroupEntity.CursorsSaved e) return GroupCodec.toProto(e).toByteArray();
    if (o instanceof GroupEntity.ReceiptsSaved e) return GroupCodec.toProto(e).toByteArray();
    if (o instanceof GroupSnapshot s) return s.toByteArray();
    if (o instanceof GroupState s) return GroupCodec.toSnapshot(s).toByteArray();
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case LOGGED_V1 -> GroupCodec.fromProto(GroupLogged.parseFrom(bytes));
        case CURSORS_SAVED_V1 -> GroupCodec.fromProto(GroupCursorsSaved.parseFrom(bytes));
        case RECEIPTS_SAVED_V1 -> GroupCodec.fromProto(io.insync.persistence.proto.GroupReceiptsSaved.parseFrom(bytes));
        case SNAPSHOT_V1 -> GroupSnapshot.parseFrom(bytes);
        case STATE_V1 -> GroupCodec.fromSnapshot(GroupSnapshot.parseFrom(bytes), GroupSettings.DEFAULT.postDedupWindow());
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "' for " + getClass().getName());
      };
    } catch (InvalidProtocolBufferException e) {
      NotSerializableException n = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }
}
