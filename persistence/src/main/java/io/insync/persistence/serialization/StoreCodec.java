package io.insync.persistence.serialization;

import com.google.protobuf.ByteString;
import io.insync.persistence.proto.BookkeepingFlushed;
import io.insync.persistence.proto.DeliveryRef;
import io.insync.persistence.proto.DeviceKey;
import io.insync.persistence.proto.InboundDedup;
import io.insync.persistence.proto.JournalIndexEntry;
import io.insync.persistence.proto.MessageReceived;
import io.insync.persistence.proto.MessageSent;
import io.insync.persistence.proto.OutboundDedup;
import io.insync.persistence.proto.StoredContent;
import io.insync.persistence.proto.StoredItem;
import io.insync.persistence.proto.UserSnapshot;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.Receipt;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Conversions between the entity's Java types and their stored protobuf forms. */
public final class StoreCodec {
  private StoreCodec() {}

  // ------------------------------------------------------------------ content, bookkeeping

  static StoredContent content(MessageContent c) {
    StoredContent.Builder b = StoredContent.newBuilder().setText(c.text()).setType(c.type());
    byte[] data = c.data();
    if (data.length > 0) b.setData(ByteString.copyFrom(data));
    return b.build();
  }

  static MessageContent content(StoredContent c) {
    return new MessageContent(c.getText(), c.getData().toByteArray(), c.getType());
  }

  static io.insync.persistence.proto.Bookkeeping bookkeeping(UserEntity.Bookkeeping b) {
    var out = io.insync.persistence.proto.Bookkeeping.newBuilder();
    for (UserEntity.DeliveryRef d : b.delivered()) {
      out.addDelivered(DeliveryRef.newBuilder().setTo(d.to()).setSeq(d.seq()));
    }
    new TreeMap<>(b.deviceKeys()).forEach((device, key) ->
        out.addDeviceKeys(DeviceKey.newBuilder().setDevice(device).setKey(key)));
    return out.build();
  }

  static UserEntity.Bookkeeping bookkeeping(io.insync.persistence.proto.Bookkeeping b) {
    if (b.getDeliveredCount() == 0 && b.getDeviceKeysCount() == 0) return UserEntity.Bookkeeping.EMPTY;
    List<UserEntity.DeliveryRef> delivered = new ArrayList<>();
    for (DeliveryRef d : b.getDeliveredList()) delivered.add(new UserEntity.DeliveryRef(d.getTo(), d.getSeq()));
    Map<String, Long> keys = new LinkedHashMap<>();
    for (DeviceKey k : b.getDeviceKeysList()) keys.merge(k.getDevice(), k.getKey(), Math::max);
    return new UserEntity.Bookkeeping(delivered, keys);
  }

  // ------------------------------------------------------------------ events

  public static MessageSent toProto(UserEntity.MessageSent e) {
    MessageSent.Builder b = MessageSent.newBuilder()
        .setSeq(e.seq()).setTo(e.to()).setDevice(e.device()).setClientMsgId(e.clientMsgId())
        .setContent(content(e.content())).setServerTs(e.serverTs());
    if (!e.bookkeeping().isEmpty()) b.setBookkeeping(bookkeeping(e.bookkeeping()));
    return b.build();
  }

  public static UserEntity.MessageSent fromProto(MessageSent p) {
    return new UserEntity.MessageSent(p.getSeq(), p.getTo(), p.getDevice(), p.getClientMsgId(),
        content(p.getContent()), p.getServerTs(), bookkeeping(p.getBookkeeping()));
  }

  public static MessageReceived toProto(UserEntity.MessageReceived e) {
    MessageReceived.Builder b = MessageReceived.newBuilder()
        .setSeq(e.seq()).setFrom(e.from()).setFromDevice(e.fromDevice()).setClientMsgId(e.clientMsgId())
        .setSenderSeq(e.senderSeq()).setContent(content(e.content())).setServerTs(e.serverTs());
    if (!e.bookkeeping().isEmpty()) b.setBookkeeping(bookkeeping(e.bookkeeping()));
    if (e.group() != null) b.setGroup(groupTag(e.group()));
    return b.build();
  }

  public static UserEntity.MessageReceived fromProto(MessageReceived p) {
    return new UserEntity.MessageReceived(p.getSeq(), p.getFrom(), p.getFromDevice(), p.getClientMsgId(),
        p.getSenderSeq(), content(p.getContent()), p.getServerTs(), bookkeeping(p.getBookkeeping()),
        p.hasGroup() ? groupTag(p.getGroup()) : null);
  }

  static io.insync.persistence.proto.StoredGroupTag groupTag(io.insync.persistence.user.GroupTag g) {
    return io.insync.persistence.proto.StoredGroupTag.newBuilder().setGroup(g.group())
        .setAction(g.action().ordinal()).addAllMembers(g.members()).setName(g.name()).build();
  }

  static io.insync.persistence.user.GroupTag groupTag(io.insync.persistence.proto.StoredGroupTag p) {
    return new io.insync.persistence.user.GroupTag(p.getGroup(),
        io.insync.persistence.user.GroupTag.Action.of(p.getAction()), p.getMembersList(), p.getName());
  }

  public static BookkeepingFlushed toProto(UserEntity.BookkeepingFlushed e) {
    return BookkeepingFlushed.newBuilder().setBookkeeping(bookkeeping(e.bookkeeping())).build();
  }

  public static UserEntity.BookkeepingFlushed fromProto(BookkeepingFlushed p) {
    return new UserEntity.BookkeepingFlushed(bookkeeping(p.getBookkeeping()));
  }

  // ------------------------------------------------------------------ receipts, devices, reads

  static io.insync.persistence.proto.StoredReceipt receipt(Receipt r) {
    var b = io.insync.persistence.proto.StoredReceipt.newBuilder().setKind(r.kind().ordinal()).setUpTo(r.upTo())
        .setGroup(r.group());
    for (Receipt.Count c : r.counts()) {
      b.addCounts(io.insync.persistence.proto.StoredReceiptCount.newBuilder().setGroupSeq(c.groupSeq())
          .setDelivered(c.delivered()).setRead(c.read()).setRecipients(c.recipients()));
    }
    return b.build();
  }

  static Receipt receipt(io.insync.persistence.proto.StoredReceipt p) {
    List<Receipt.Count> counts = new ArrayList<>();
    for (var c : p.getCountsList()) {
      counts.add(new Receipt.Count(c.getGroupSeq(), c.getDelivered(), c.getRead(), c.getRecipients()));
    }
    return new Receipt(Receipt.Kind.of(p.getKind()), p.getUpTo(), p.getGroup(), counts);
  }

  public static io.insync.persistence.proto.ReceiptLogged toProto(UserEntity.ReceiptLogged e) {
    return io.insync.persistence.proto.ReceiptLogged.newBuilder().setSeq(e.seq()).setFrom(e.from())
        .setReceipt(receipt(e.receipt())).setServerTs(e.serverTs()).setBookkeeping(bookkeeping(e.bookkeeping()))
        .build();
  }

  public static UserEntity.ReceiptLogged fromProto(io.insync.persistence.proto.ReceiptLogged p) {
    return new UserEntity.ReceiptLogged(p.getSeq(), p.getFrom(), receipt(p.getReceipt()), p.getServerTs(),
        bookkeeping(p.getBookkeeping()));
  }

  public static io.insync.persistence.proto.DeviceRegistered toProto(UserEntity.DeviceRegistered e) {
    return io.insync.persistence.proto.DeviceRegistered.newBuilder().setDevice(e.device()).setPlatform(e.platform())
        .setAt(e.at()).build();
  }

  public static UserEntity.DeviceRegistered fromProto(io.insync.persistence.proto.DeviceRegistered p) {
    return new UserEntity.DeviceRegistered(p.getDevice(), p.getPlatform(), p.getAt());
  }

  public static io.insync.persistence.proto.DeviceRemoved toProto(UserEntity.DeviceRemoved e) {
    return io.insync.persistence.proto.DeviceRemoved.newBuilder().setDevice(e.device()).setAt(e.at()).build();
  }

  public static UserEntity.DeviceRemoved fromProto(io.insync.persistence.proto.DeviceRemoved p) {
    return new UserEntity.DeviceRemoved(p.getDevice(), p.getAt());
  }

  /** A conversation is stored as a peer, or (for "#" + id) a group. */
  public static io.insync.persistence.proto.ReadMarked toProto(UserEntity.ReadMarked e) {
    var b = io.insync.persistence.proto.ReadMarked.newBuilder().setUpTo(e.upTo());
    if (e.conversation().startsWith("#")) b.setGroup(e.conversation().substring(1));
    else b.setPeer(e.conversation());
    return b.build();
  }

  public static UserEntity.ReadMarked fromProto(io.insync.persistence.proto.ReadMarked p) {
    return new UserEntity.ReadMarked(p.getGroup().isEmpty() ? p.getPeer() : "#" + p.getGroup(), p.getUpTo());
  }

  public static io.insync.persistence.proto.PrefsChanged toProto(UserEntity.PrefsChanged e) {
    return io.insync.persistence.proto.PrefsChanged.newBuilder().setReadReceiptsOff(e.readReceiptsOff()).build();
  }

  public static UserEntity.PrefsChanged fromProto(io.insync.persistence.proto.PrefsChanged p) {
    return new UserEntity.PrefsChanged(p.getReadReceiptsOff());
  }

  // ------------------------------------------------------------------ snapshot

  static StoredItem item(InboxItem i) {
    StoredItem.Builder b = StoredItem.newBuilder()
        .setSeq(i.seq()).setFrom(i.from()).setTo(i.to()).setFromDevice(i.fromDevice())
        .setClientMsgId(i.clientMsgId()).setServerTs(i.serverTs()).setContent(content(i.content()))
        .setSenderSeq(i.senderSeq());
    if (i.group() != null) b.setGroup(groupTag(i.group()));
    if (i.receipt() != null) b.setReceipt(receipt(i.receipt()));
    return b.build();
  }

  static InboxItem item(StoredItem s) {
    return new InboxItem(s.getSeq(), s.getFrom(), s.getTo(), s.getFromDevice(), s.getClientMsgId(),
        s.getServerTs(), content(s.getContent()), s.getSenderSeq(), s.hasGroup() ? groupTag(s.getGroup()) : null,
        s.hasReceipt() ? receipt(s.getReceipt()) : null);
  }

  /** An immutable copy of the state, made on the entity's thread. */
  public static UserSnapshot toSnapshot(UserState state) {
    UserSnapshot.Builder b = UserSnapshot.newBuilder().setUserId(state.userId()).setLastSeq(state.lastSeq());
    for (InboxItem i : state.tail()) b.addTail(item(i));
    state.outbound().forEach((key, rec) -> {
      int split = key.indexOf('\u0000');
      b.addOutbound(OutboundDedup.newBuilder()
          .setDevice(key.substring(0, split)).setClientMsgId(key.substring(split + 1))
          .setSeq(rec.seq()).setServerTs(rec.serverTs()));
    });
    // in the state's order (least recently delivered first), so eviction continues the same after recovery
    state.inboundHighWater().forEach((from, seq) ->
        b.addInbound(InboundDedup.newBuilder().setFrom(from).setSenderSeq(seq)));
    for (InboxItem i : state.allPending()) b.addPending(item(i));
    new TreeMap<>(state.deviceKeys()).forEach((device, key) ->
        b.addDeviceKeys(DeviceKey.newBuilder().setDevice(device).setKey(key)));
    state.journalIndex().forEach((seq, nr) ->
        b.addIndex(JournalIndexEntry.newBuilder().setSeq(seq).setSequenceNr(nr)));
    state.devices().forEach((device, r) -> b.addDevices(io.insync.persistence.proto.StoredDevice.newBuilder()
        .setDevice(device).setPlatform(r.platform()).setRegisteredAt(r.registeredAt()).setRemoved(r.removed())));
    state.reads().forEach((conv, upTo) -> b.addReads(io.insync.persistence.proto.StoredReadMark.newBuilder()
        .setConversation(conv).setUpTo(upTo)));
    state.receiptMarks().forEach((peer, m) -> b.addReceiptsFrom(io.insync.persistence.proto.StoredReceiptMark
        .newBuilder().setPeer(peer).setDelivered(m.delivered()).setRead(m.read())));
    b.setReadReceiptsOff(state.readReceiptsOff());
    return b.build();
  }

  public static UserState fromSnapshot(String userId, UserState.Limits limits, UserSnapshot s) {
    UserState state = new UserState(userId, limits);
    List<InboxItem> tail = new ArrayList<>();
    for (StoredItem i : s.getTailList()) tail.add(item(i));
    Map<String, UserState.OutboundRecord> outbound = new LinkedHashMap<>();
    for (OutboundDedup o : s.getOutboundList()) {
      outbound.put(o.getDevice() + '\u0000' + o.getClientMsgId(),
          new UserState.OutboundRecord(o.getSeq(), o.getServerTs()));
    }
    Map<String, Long> highWater = new LinkedHashMap<>();
    for (InboundDedup i : s.getInboundList()) highWater.put(i.getFrom(), i.getSenderSeq());
    List<InboxItem> pending = new ArrayList<>();
    for (StoredItem i : s.getPendingList()) pending.add(item(i));
    Map<String, Long> keys = new LinkedHashMap<>();
    for (DeviceKey k : s.getDeviceKeysList()) keys.put(k.getDevice(), k.getKey());
    Map<Long, Long> index = new TreeMap<>();
    for (JournalIndexEntry e : s.getIndexList()) index.put(e.getSeq(), e.getSequenceNr());
    state.restore(s.getLastSeq(), tail, outbound, highWater, pending, keys, index);
    Map<String, UserState.DeviceRecord> devices = new LinkedHashMap<>();
    for (var d : s.getDevicesList()) {
      devices.put(d.getDevice(), new UserState.DeviceRecord(d.getPlatform(), d.getRegisteredAt(), d.getRemoved()));
    }
    Map<String, Long> reads = new LinkedHashMap<>();
    for (var r : s.getReadsList()) reads.put(r.getConversation(), r.getUpTo());
    Map<String, UserState.ReceiptMark> marks = new LinkedHashMap<>();
    for (var m : s.getReceiptsFromList()) marks.put(m.getPeer(), new UserState.ReceiptMark(m.getDelivered(), m.getRead()));
    state.restoreDevicesAndMarks(devices, reads, marks, s.getReadReceiptsOff());
    return state;
  }
}
