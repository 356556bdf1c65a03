package io.insync.gateway;

import com.google.protobuf.ByteString;
import io.insync.core.codec.Envelopes;
import io.insync.core.Ids;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.user.GroupTag;
import io.insync.persistence.user.InboxItem;
import io.insync.protocol.GroupChange;
import io.insync.protocol.GroupCreate;
import io.insync.protocol.GroupEvent;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.GroupInfo;
import io.insync.protocol.ItemKind;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Ack;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Heartbeat;
import io.insync.protocol.Item;
import io.insync.protocol.Notify;
import io.insync.protocol.Send;
import io.insync.protocol.SendAck;
import io.insync.protocol.Sync;
import io.insync.protocol.SyncResult;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The one place where wire messages become entity commands and entity answers become wire
 * messages. Plain functions, no state.
 *
 * <p>Sequence numbers and sync keys are uint64 on the wire and {@code long} in the entity. The
 * entity never gets a negative key: a Sync key at or above 2^63 (negative as a Java long) is
 * refused here ({@link #syncKeyProblem}), since no inbox can be that long; an Ack key that large
 * becomes {@link Long#MAX_VALUE} (the entity clamps acked keys to its latest seq anyway).
 */
final class Wire {
  private Wire() {}

  // ------------------------------------------------------------------ client -> entity

  /** The entity command for a Send of {@code device}. */
  static UserEntity.SendMessage sendMessage(String device, Send send, ActorRef<UserEntity.SendResult> replyTo) {
    Content c = send.getContent();
    MessageContent content = new MessageContent(c.getText(), c.getData().toByteArray(), c.getType());
    return new UserEntity.SendMessage(device, send.getClientMsgId(), send.getTo(), content,
        send.getAfterClientMsgId(), replyTo);
  }

  /** The group entity command for a Send to a group by {@code user}'s {@code device}. */
  static GroupEntity.Post post(String user, String device, Send send, ActorRef<UserEntity.SendResult> replyTo) {
    Content c = send.getContent();
    MessageContent content = new MessageContent(c.getText(), c.getData().toByteArray(), c.getType());
    return new GroupEntity.Post(user, device, send.getClientMsgId(), content, replyTo);
  }

  /** Why a group command cannot be asked (beyond its group id), or null. */
  static String groupProblem(Envelope env) {
    if (env.hasGroupCreate()) {
      for (String m : env.getGroupCreate().getMembersList()) {
        if (!Ids.isValidUserId(m)) return "member '" + m + "' is not a valid user id";
      }
      return env.getGroupCreate().getName().length() > 256 ? "a group's name is at most 256 characters" : null;
    }
    if (env.hasGroupChange()) {
      GroupChange ch = env.getGroupChange();
      if (action(ch.getChange()) == null || ch.getChange() == GroupEventType.GROUP_CREATED) {
        return "change must be GROUP_JOINED, GROUP_REMOVED, GROUP_LEFT, GROUP_OWNER_CHANGED, GROUP_ADMIN_ADDED or GROUP_ADMIN_REMOVED";
      }
      for (String m : ch.getMembersList()) {
        if (!Ids.isValidUserId(m)) return "member '" + m + "' is not a valid user id";
      }
    }
    return null;
  }

  /** The group entity command for a GroupCreate, GroupChange or GroupGet that {@link #groupProblem} accepted. */
  static GroupEntity.Command groupCommand(String user, Envelope env, ActorRef<GroupEntity.Reply> replyTo) {
    if (env.hasGroupCreate()) {
      GroupCreate c = env.getGroupCreate();
      return new GroupEntity.Manage(user, GroupTag.Action.CREATED, c.getMembersList(), c.getName(), replyTo);
    }
    if (env.hasGroupChange()) {
      GroupChange ch = env.getGroupChange();
      return new GroupEntity.Manage(user, action(ch.getChange()), ch.getMembersList(), "", replyTo);
    }
    if (env.hasGroupReceiptsGet()) {
      return new GroupEntity.GetReceipts(user, env.getGroupReceiptsGet().getGroupSeq(), replyTo);
    }
    return new GroupEntity.GetInfo(user, replyTo);
  }

  /** Wire event types and stored actions line up by number: 1 created ... 7 admin removed. */
  static GroupTag.Action action(GroupEventType t) {
    int n = t.getNumber();
    return n >= 1 && n < GroupTag.Action.values().length ? GroupTag.Action.of(n) : null;
  }

  static Envelope groupResult(long requestId, GroupEntity.Reply reply) {
    if (reply instanceof GroupEntity.Info i) {
      return Envelope.newBuilder().setRequestId(requestId).setGroupInfo(GroupInfo.newBuilder()
          .setGroup(i.group()).setName(i.name()).setOwner(i.owner()).addAllAdmins(i.admins())
          .addAllMembers(i.members()).setLastSeq(i.lastSeq())).build();
    }
    if (reply instanceof GroupEntity.Receipts r) {
      return Envelope.newBuilder().setRequestId(requestId).setGroupReceipts(io.insync.protocol.GroupReceipts.newBuilder()
          .setGroup(r.group()).setGroupSeq(r.groupSeq()).setRecipients(r.recipients())
          .addAllDelivered(r.delivered()).addAllRead(r.read())).build();
    }
    GroupEntity.Refused r = (GroupEntity.Refused) reply;
    return Envelopes.error(requestId, r.code(), r.reason(), 0, false);
  }

  /**
   * The entity command for a Sync whose key {@link #syncKeyProblem} accepted. {@code max_items} is
   * uint32: a value above {@code Integer.MAX_VALUE} means "as many as you give", which the entity
   * caps.
   */
  static UserEntity.Sync sync(String device, Sync sync, ActorRef<UserEntity.SyncResult> replyTo) {
    int max = sync.getMaxItems() < 0 ? Integer.MAX_VALUE : sync.getMaxItems();
    return new UserEntity.Sync(device, sync.getSyncKey(), max, replyTo, filter(sync));
  }

  /** A Sync's filter, or null when it names no peer, group or kind. */
  static UserEntity.SyncFilter filter(Sync sync) {
    String conversation = !sync.getGroup().isEmpty() ? GroupTag.dedupKey(sync.getGroup()) : sync.getPeer();
    ItemKind kind = sync.hasKind() ? sync.getKind() : null;
    if (conversation.isEmpty() && kind == null) return null;
    return new UserEntity.SyncFilter(conversation, kind);
  }

  /** Why a Sync's filter cannot be served, or null. */
  static String syncFilterProblem(Sync sync) {
    if (!sync.getPeer().isEmpty() && !sync.getGroup().isEmpty()) return "a Sync filters by peer or by group, not both";
    if (!sync.getPeer().isEmpty() && !Ids.isValidUserId(sync.getPeer())) {
      return "peer '" + sync.getPeer() + "' is not a valid user id";
    }
    if (!sync.getGroup().isEmpty() && !Ids.isValidUserId(sync.getGroup())) {
      return "group '" + sync.getGroup() + "' is not a valid id";
    }
    if (sync.hasKind() && sync.getKind() == ItemKind.UNRECOGNIZED) return "unknown item kind " + sync.getKindValue();
    return null;
  }

  /** Why a MarkRead, ListDevices, RemoveDevice or SetPrefs cannot be asked, or null. */
  static String userRequestProblem(Envelope env) {
    if (env.hasMarkRead()) {
      io.insync.protocol.MarkRead m = env.getMarkRead();
      if (m.getPeer().isEmpty() == m.getGroup().isEmpty()) return "MarkRead names a peer or a group (one of them)";
      String id = m.getPeer().isEmpty() ? m.getGroup() : m.getPeer();
      if (!Ids.isValidUserId(id)) return "'" + id + "' is not a valid id";
      if (m.getUpTo() == 0) return "up_to must be a seq of the inbox (from 1)";
    }
    if (env.hasRemoveDevice() && !Ids.isValidDeviceId(env.getRemoveDevice().getDevice())) {
      return "device '" + env.getRemoveDevice().getDevice() + "' is not a valid device id";
    }
    return null;
  }

  /** The user entity command for a request {@link #userRequestProblem} accepted, from {@code device}. */
  static UserEntity.Command userCommand(String device, Envelope env, ActorRef<Object> replyTo) {
    return switch (env.getCommandCase()) {
      case MARK_READ -> {
        io.insync.protocol.MarkRead m = env.getMarkRead();
        String conversation = m.getPeer().isEmpty() ? GroupTag.dedupKey(m.getGroup()) : m.getPeer();
        // a uint64 at or above 2^63 is "above the inbox": the entity clamps it to its latest seq
        long upTo = m.getUpTo() < 0 ? Long.MAX_VALUE : m.getUpTo();
        yield new UserEntity.MarkRead(device, conversation, upTo, replyTo.narrow());
      }
      case LIST_DEVICES -> new UserEntity.ListDevices(device, replyTo.narrow());
      case REMOVE_DEVICE -> new UserEntity.RemoveDevice(device, env.getRemoveDevice().getDevice(), replyTo.narrow());
      case SET_PREFS -> new UserEntity.SetPrefs(env.getSetPrefs().getReadReceiptsOff(), replyTo.narrow());
      default -> throw new IllegalArgumentException("not a user request: " + env.getCommandCase());
    };
  }

  /** The answer of a user request: Done, DeviceList, or an Error. */
  static Envelope userResult(long requestId, Object reply) {
    if (reply instanceof UserEntity.DeviceList l) {
      io.insync.protocol.DeviceList.Builder b = io.insync.protocol.DeviceList.newBuilder();
      for (UserEntity.DeviceInfo d : l.devices()) {
        b.addDevices(io.insync.protocol.DeviceInfo.newBuilder().setDevice(d.device()).setPlatform(d.platform())
            .setSyncKey(d.syncKey()).setOnline(d.online()).setRegisteredAtMs(d.registeredAt()));
      }
      return Envelope.newBuilder().setRequestId(requestId).setDeviceList(b).build();
    }
    UserEntity.Done done = (UserEntity.Done) reply;
    if (done.code() != null) return Envelopes.error(requestId, done.code(), done.reason(), 0, false);
    return Envelope.newBuilder().setRequestId(requestId).setDone(io.insync.protocol.Done.getDefaultInstance()).build();
  }

  /** Why a Sync key cannot be served (a uint64 at or above 2^63), or null if it can be asked for. */
  static String syncKeyProblem(long wireKey) {
    return wireKey < 0 ? "sync key " + Long.toUnsignedString(wireKey) + " is ahead of the inbox" : null;
  }

  /** The entity command for an Ack; a uint64 key at or above 2^63 is sent as {@code Long.MAX_VALUE}. */
  static UserEntity.AckKey ackKey(String device, Ack ack) {
    long key = ack.getSyncKey() < 0 ? Long.MAX_VALUE : ack.getSyncKey();
    return new UserEntity.AckKey(device, key);
  }

  // ------------------------------------------------------------------ entity -> client

  static Envelope authOk(long requestId, String user, String device, UserEntity.Connected c, int heartbeatSeconds) {
    return Envelope.newBuilder().setRequestId(requestId).setAuthOk(AuthOk.newBuilder()
        .setUserId(user).setDeviceId(device)
        .setLatestSeq(c.latestSeq())
        .setDeviceKey(c.deviceKey())
        .setHeartbeatSeconds(heartbeatSeconds)).build();
  }

  static Envelope heartbeat(long requestId, UserEntity.Connected c) {
    return heartbeat(requestId, c.latestSeq());
  }

  static Envelope heartbeat(long requestId, long latestSeq) {
    return Envelope.newBuilder().setRequestId(requestId)
        .setHeartbeat(Heartbeat.newBuilder().setLatestSeq(latestSeq)).build();
  }

  static Envelope sendResult(long requestId, UserEntity.SendResult result) {
    return sendResult(requestId, result, "");
  }

  /** {@code group}: set for a post to a group (the ack's seq is then the group's). */
  static Envelope sendResult(long requestId, UserEntity.SendResult result, String group) {
    if (result instanceof UserEntity.SendAccepted ok) {
      return Envelope.newBuilder().setRequestId(requestId).setSendAck(SendAck.newBuilder()
          .setClientMsgId(ok.clientMsgId()).setSeq(ok.seq()).setServerTs(ok.serverTs()).setGroup(group)).build();
    }
    UserEntity.SendRejected no = (UserEntity.SendRejected) result;
    return Envelopes.error(requestId, no.code(), no.reason(), no.retryAfterMs(), false);
  }

  static Envelope syncResult(long requestId, UserEntity.SyncResult result) {
    if (result instanceof UserEntity.SyncOk ok) {
      SyncResult.Builder r = SyncResult.newBuilder().setSyncKey(ok.syncKey()).setHasMore(ok.hasMore());
      for (InboxItem i : ok.items()) r.addItems(item(i));
      return Envelope.newBuilder().setRequestId(requestId).setSyncResult(r).build();
    }
    UserEntity.SyncFailed f = (UserEntity.SyncFailed) result;
    return Envelopes.error(requestId, f.code(), f.reason(), f.retryAfterMs(), false);
  }

  static Envelope notify(UserEntity.NewItems n) {
    Notify.Builder notify = Notify.newBuilder().setLatestSeq(n.latestSeq());
    for (InboxItem i : n.inline()) notify.addItems(item(i));
    return Envelope.newBuilder().setNotify(notify).build();
  }

  static Item item(InboxItem i) {
    MessageContent mc = i.content();
    Content.Builder c = Content.newBuilder().setText(mc.text()).setType(mc.type());
    byte[] data = mc.data();
    if (data.length > 0) c.setData(ByteString.copyFrom(data));
    Item.Builder b = Item.newBuilder()
        .setSeq(i.seq()).setFrom(i.from()).setTo(i.to()).setFromDevice(i.fromDevice())
        .setClientMsgId(i.clientMsgId()).setServerTs(i.serverTs()).setContent(c);
    io.insync.persistence.user.Receipt receipt = i.receipt();
    if (receipt != null) {
      b.setKind(UserEntity.kindOf(i)).setReceiptUpTo(receipt.upTo());
      if (!receipt.group().isEmpty()) b.setGroup(receipt.group());
      for (io.insync.persistence.user.Receipt.Count n : receipt.counts()) {
        b.addReceiptCounts(io.insync.protocol.ReceiptCount.newBuilder().setGroupSeq(n.groupSeq())
            .setDelivered(n.delivered()).setRead(n.read()).setRecipients(n.recipients()));
      }
    }
    GroupTag g = i.group();
    if (g != null) {
      b.setGroup(g.group()).setGroupSeq(i.senderSeq());
      if (g.action() != GroupTag.Action.MESSAGE) {
        b.setKind(ItemKind.GROUP_EVENT).setGroupEvent(GroupEvent.newBuilder()
            .setType(GroupEventType.forNumber(g.action().ordinal())).addAllMembers(g.members()).setName(g.name()));
      }
    }
    return b.build();
  }

  /** A request-scoped, non-fatal Error. */
  static Envelope error(long requestId, ErrorCode code, String reason, int retryAfterMs) {
    return Envelopes.error(requestId, code, reason, retryAfterMs, false);
  }

  /** A fatal Error: the connection closes after it. */
  static Envelope fatal(long requestId, ErrorCode code, String reason, int retryAfterMs) {
    return Envelopes.error(requestId, code, reason, retryAfterMs, true);
  }
}
