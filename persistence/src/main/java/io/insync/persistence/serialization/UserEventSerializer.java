package io.insync.persistence.serialization;

import com.google.protobuf.InvalidProtocolBufferException;
import io.insync.persistence.proto.BookkeepingFlushed;
import io.insync.persistence.proto.MessageReceived;
import io.insync.persistence.proto.MessageSent;
import io.insync.persistence.proto.UserSnapshot;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserState;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes what the user entity stores: events and snapshots, as protobuf.
 *
 * <p>The identifier and the manifests are written next to every stored event, so they never
 * change: a new version of an event gets a new manifest, and the old one stays readable.
 */
public final class UserEventSerializer extends SerializerWithStringManifest {

  /** Fixed forever: stored with every event. */
  public static final int IDENTIFIER = 7301;

  static final String MESSAGE_SENT_V1 = "MS1";
  static final String MESSAGE_RECEIVED_V1 = "MR1";
  static final String BOOKKEEPING_FLUSHED_V1 = "BF1";
  static final String RECEIPT_LOGGED_V1 = "RL1";
  static final String DEVICE_REGISTERED_V1 = "DR1";
  static final String DEVICE_REMOVED_V1 = "DX1";
  static final String READ_MARKED_V1 = "RM1";
  static final String PREFS_CHANGED_V1 = "PC1";
  static final String SNAPSHOT_V1 = "SN1";
  /** The live state (only the test kit serializes it); same bytes as a snapshot. */
  static final String STATE_V1 = "ST1";

  public UserEventSerializer(ExtendedActorSystem system) {}

  public UserEventSerializer() {}

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof UserEntity.MessageSent) return MESSAGE_SENT_V1;
    if (o instanceof UserEntity.MessageReceived) return MESSAGE_RECEIVED_V1;
    if (o instanceof UserEntity.BookkeepingFlushed) return BOOKKEEPING_FLUSHED_V1;
    if (o instanceof UserEntity.ReceiptLogged) return RECEIPT_LOGGED_V1;
    if (o instanceof UserEntity.DeviceRegistered) return DEVICE_REGISTERED_V1;
    if (o instanceof UserEntity.DeviceRemoved) return DEVICE_REMOVED_V1;
    if (o instanceof UserEntity.ReadMarked) return READ_MARKED_V1;
    if (o instanceof UserEntity.PrefsChanged) return PREFS_CHANGED_V1;
    if (o instanceof UserSnapshot) return SNAPSHOT_V1;
    if (o instanceof UserState) return STATE_V1;
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof UserEntity.MessageSent e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.MessageReceived e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.BookkeepingFlushed e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.ReceiptLogged e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.DeviceRegistered e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.DeviceRemoved e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.ReadMarked e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserEntity.PrefsChanged e) return StoreCodec.toProto(e).toByteArray();
    if (o instanceof UserSnapshot s) return s.toByteArray();
    if (o instanceof UserState s) return StoreCodec.toSnapshot(s).toByteArray();
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      switch (manifest) {
        case MESSAGE_SENT_V1:
          return StoreCodec.fromProto(MessageSent.parseFrom(bytes));
        case MESSAGE_RECEIVED_V1:
          return StoreCodec.fromProto(MessageReceived.parseFrom(bytes));
        case BOOKKEEPING_FLUSHED_V1:
          return StoreCodec.fromProto(BookkeepingFlushed.parseFrom(bytes));
        case RECEIPT_LOGGED_V1:
          return StoreCodec.fromProto(io.insync.persistence.proto.ReceiptLogged.parseFrom(bytes));
        case DEVICE_REGISTERED_V1:
          return StoreCodec.fromProto(io.insync.persistence.proto.DeviceRegistered.parseFrom(bytes));
        case DEVICE_REMOVED_V1:
          return StoreCodec.fromProto(io.insync.persistence.proto.DeviceRemoved.parseFrom(bytes));
        case READ_MARKED_V1:
          return StoreCodec.fromProto(io.insync.persistence.proto.ReadMarked.parseFrom(bytes));
        case PREFS_CHANGED_V1:
          return StoreCodec.fromProto(io.insync.persistence.proto.PrefsChanged.parseFrom(bytes));
        case SNAPSHOT_V1:
          return UserSnapshot.parseFrom(bytes);
        case STATE_V1: {
          UserSnapshot s = UserSnapshot.parseFrom(bytes);
          return StoreCodec.fromSnapshot(s.getUserId(), UserState.Limits.DEFAULT, s);
        }
        default:
          throw new NotSerializableException("unknown manifest '" + manifest + "' for " + getClass().getName());
      }
    } catch (InvalidProtocolBufferException e) {
      NotSerializableException n = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }
}
