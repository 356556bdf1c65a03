package io.insync.cluster.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * The one list of classes that cross nodes, each with a fixed id. Rules: ids are never reused or
 * changed; a new class takes the next free id; a removed class leaves a gap. During a rolling
 * update old and new nodes must agree on every id they exchange.
 */
public final class KryoRegistrations {
  private KryoRegistrations() {}

  static Kryo newKryo(ActorRefResolver resolver) {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    register(kryo, resolver);
    return kryo;
  }

  static void register(Kryo k, ActorRefResolver resolver) {
    // JDK types (ids 100-149)
    k.register(ArrayList.class, 100);
    k.register(List.of().getClass(), 101);          // ImmutableCollections.ListN
    k.register(List.of(1).getClass(), 102);         // ImmutableCollections.List12
    k.register(byte[].class, 103);
    // typed ActorRefs travel as their serialization format (ids 150-199)
    k.register(actorRefAdapterClass(), new ActorRefSerializer(resolver), 150);

    // content (ids 200-299)
    k.register(MessageContent.class, 200);
    k.register(InboxItem.class, 201);

    // user entity protocol (ids 300-399)
    k.register(UserEntity.SendMessage.class, 300);
    k.register(UserEntity.SendAccepted.class, 301);
    k.register(UserEntity.SendRejected.class, 302);
    k.register(UserEntity.Deliver.class, 303);
    k.register(UserEntity.Delivery.class, 304);
    k.register(UserEntity.DeliveryReceipt.class, 305);
    k.register(UserEntity.Sync.class, 306);
    k.register(UserEntity.SyncOk.class, 307);
    k.register(UserEntity.SyncFailed.class, 308);
    k.register(UserEntity.AckKey.class, 309);
    k.register(UserEntity.Connect.class, 310);
    k.register(UserEntity.Connected.class, 311);
    k.register(UserEntity.Disconnect.class, 312);
    k.register(UserEntity.NewItems.class, 313);
    k.register(UserEntity.SessionReplaced.class, 314);
    k.register(UserEntity.GetStatus.class, 315);
    k.register(UserEntity.Status.class, 316);
    k.register(UserEntity.KeepAlive.class, 317);
    k.register(io.insync.protocol.ErrorCode.class, 318);
    k.register(UserEntity.SessionsFound.class, 319);
    k.register(io.insync.persistence.user.PresenceProtocol.Lookup.class, 320);
    k.register(io.insync.persistence.user.PresenceProtocol.PresentSession.class, 321);
    // devices, receipts, sync filters
    k.register(io.insync.persistence.user.Receipt.class, 322);
    k.register(io.insync.persistence.user.Receipt.Kind.class, 323);
    k.register(io.insync.persistence.user.Receipt.Count.class, 324);
    k.register(UserEntity.SyncFilter.class, 325);
    k.register(io.insync.protocol.ItemKind.class, 326);
    k.register(UserEntity.MarkRead.class, 327);
    k.register(UserEntity.ListDevices.class, 328);
    k.register(UserEntity.DeviceList.class, 329);
    k.register(UserEntity.DeviceInfo.class, 330);
    k.register(UserEntity.RemoveDevice.class, 331);
    k.register(UserEntity.SetPrefs.class, 332);
    k.register(UserEntity.Done.class, 333);
    k.register(UserEntity.PeerReceipt.class, 334);
    k.register(UserEntity.GroupReceiptCounts.class, 335);
    k.register(UserEntity.LoggedOut.class, 336);

    // delivery keepers (ids 400-419)
    k.register(io.insync.cluster.DeliveryKeeper.Keep.class, 400);

    // groups (ids 500-549)
    k.register(io.insync.persistence.user.GroupTag.class, 500);
    k.register(io.insync.persistence.user.GroupTag.Action.class, 501);
    k.register(io.insync.persistence.group.GroupEntity.Post.class, 502);
    k.register(io.insync.persistence.group.GroupEntity.Manage.class, 503);
    k.register(io.insync.persistence.group.GroupEntity.GetInfo.class, 504);
    k.register(io.insync.persistence.group.GroupEntity.Info.class, 505);
    k.register(io.insync.persistence.group.GroupEntity.Refused.class, 506);
    k.register(io.insync.persistence.group.GroupEntity.GetStatus.class, 507);
    k.register(io.insync.persistence.group.GroupEntity.Status.class, 508);
    k.register(io.insync.persistence.group.GroupEntity.KeepAlive.class, 509);
    k.register(io.insync.persistence.group.GroupEntity.MemberReceipt.class, 510);
    k.register(io.insync.persistence.group.GroupEntity.GetReceipts.class, 511);
    k.register(io.insync.persistence.group.GroupEntity.Receipts.class, 512);

    // management HTTP's questions to entities and nodes (ids 600-649; 513-549 stay for groups)
    k.register(UserEntity.Inspect.class, 600);
    k.register(UserEntity.Inspection.class, 601);
    k.register(UserEntity.Passivate.class, 602);
    k.register(UserEntity.Passivating.class, 603);
    k.register(io.insync.cluster.NodeConnections.Count.class, 604);
    k.register(io.insync.cluster.NodeConnections.Counted.class, 605);

    // alerts (ids 650-699)
    k.register(io.insync.cluster.alerts.AlertNotifier.RuleState.class, 650);
    k.register(io.insync.cluster.alerts.AlertNotifier.Report.class, 651);
    k.register(io.insync.cluster.alerts.AlertNotifier.GetAlerts.class, 652);
    k.register(io.insync.cluster.alerts.AlertNotifier.Alerts.class, 653);
    k.register(io.insync.cluster.alerts.AlertNotifier.Notification.class, 654);
    k.register(io.insync.cluster.alerts.AlertNotifier.Announce.class, 655);

    // feature flags (ids 700-719): values of the replicated map and the guardian's reports
    k.register(io.insync.cluster.flags.Flag.class, 700);
    k.register(io.insync.cluster.flags.Flag.Change.class, 701);
    k.register(io.insync.cluster.flags.FlagGuardian.SegmentFiring.class, 702);
  }

  private static Class<?> actorRefAdapterClass() {
    try {
      return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Pekko's typed ActorRef adapter class moved", e);
    }
  }

  /** Writes a typed ActorRef as its path with uid, resolved again on the receiving node. */
  static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver.resolveActorRef(input.readString());
    }
  }
}
