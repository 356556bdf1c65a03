package io.insync.persistence.group;

import io.insync.persistence.proto.GroupCursor;
import io.insync.persistence.proto.GroupCursorsSaved;
import io.insync.persistence.proto.GroupLogged;
import io.insync.persistence.proto.GroupPostDedup;
import io.insync.persistence.proto.GroupReceiptMark;
import io.insync.persistence.proto.GroupReceiptsSaved;
import io.insync.persistence.proto.GroupRecipient;
import io.insync.persistence.proto.GroupSnapshot;
import io.insync.persistence.proto.StoredContent;
import io.insync.persistence.user.GroupTag.Action;
import io.insync.persistence.user.MessageContent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The stored (protobuf) forms of the group entity's events and snapshots. */
public final class GroupCodec {
  private GroupCodec() {}

  static StoredContent content(MessageContent c) {
    return StoredContent.newBuilder().setText(c.text())
        .setData(com.google.protobuf.ByteString.copyFrom(c.data())).setType(c.type()).build();
  }

  static MessageContent content(StoredContent c) {
    return new MessageContent(c.getText(), c.getData().toByteArray(), c.getType());
  }

  public static GroupLogged toProto(GroupEntity.Logged e) {
    GroupLogged.Builder b = GroupLogged.newBuilder().setSeq(e.seq()).setAction(e.action().ordinal()).setBy(e.by())
        .setDevice(e.device()).setClientMsgId(e.clientMsgId()).setServerTs(e.serverTs())
        .addAllMembers(e.members()).setName(e.name());
    if (e.content().sizeBytes() > 0) b.setContent(content(e.content()));
    return b.build();
  }

  public static GroupEntity.Logged fromProto(GroupLogged p) {
    return new GroupEntity.Logged(p.getSeq(), Action.of(p.getAction()), p.getBy(), p.getDevice(), p.getClientMsgId(),
        p.hasContent() ? content(p.getContent()) : MessageContent.EMPTY, p.getServerTs(), p.getMembersList(),
        p.getName());
  }

  public static GroupCursorsSaved toProto(GroupEntity.CursorsSaved e) {
    GroupCursorsSaved.Builder b = GroupCursorsSaved.newBuilder();
    new TreeMap<>(e.cursors()).forEach((m, upTo) -> b.addCursors(GroupCursor.newBuilder().setMember(m).setUpTo(upTo)));
    return b.build();
  }

  public static GroupEntity.CursorsSaved fromProto(GroupCursorsSaved p) {
    Map<String, Long> cursors = new LinkedHashMap<>();
    for (GroupCursor c : p.getCursorsList()) cursors.put(c.getMember(), c.getUpTo());
    return new GroupEntity.CursorsSaved(cursors);
  }

  public static GroupReceiptsSaved toProto(GroupEntity.ReceiptsSaved e) {
    GroupReceiptsSaved.Builder b = GroupReceiptsSaved.newBuilder();
    new TreeMap<>(e.marks()).forEach((m, r) -> b.addMarks(mark(m, r)));
    return b.build();
  }

  public static GroupEntity.ReceiptsSaved fromProto(GroupReceiptsSaved p) {
    Map<String, GroupState.ReceiptMark> marks = new LinkedHashMap<>();
    for (GroupReceiptMark m : p.getMarksList()) marks.put(m.getMember(), new GroupState.ReceiptMark(m.getDelivered(), m.getRead()));
    return new GroupEntity.ReceiptsSaved(marks);
  }

  private static GroupReceiptMark mark(String member, GroupState.ReceiptMark r) {
    return GroupReceiptMark.newBuilder().setMember(member).setDelivered(r.delivered()).setRead(r.read()).build();
  }

  public static GroupSnapshot toSnapshot(GroupState s) {
    GroupSnapshot.Builder b = GroupSnapshot.newBuilder().setGroup(s.group()).setName(s.name()).setOwner(s.owner())
        .addAllAdmins(s.admins()).setLastSeq(s.lastSeq());
    s.recipients().forEach((m, r) -> b.addRecipients(GroupRecipient.newBuilder().setMember(m)
        .setJoinedAt(r.joinedAt()).setUntil(r.until()).setUpTo(r.upTo())));
    s.log().values().forEach(e -> b.addLog(toProto(e)));
    s.posts().forEach((k, v) -> {
      String[] parts = k.split("\u0000", 3);
      b.addPosts(GroupPostDedup.newBuilder().setBy(parts[0]).setDevice(parts[1]).setClientMsgId(parts[2])
          .setSeq(v.seq()).setServerTs(v.serverTs()));
    });
    s.receipts().forEach((m, r) -> b.addReceipts(mark(m, r)));
    return b.build();
  }

  public static GroupState fromSnapshot(GroupSnapshot p, int dedupWindow) {
    GroupState s = GroupState.restoring(p.getGroup(), dedupWindow);
    Map<String, GroupState.Recipient> recipients = new LinkedHashMap<>();
    for (GroupRecipient r : p.getRecipientsList()) {
      recipients.put(r.getMember(), new GroupState.Recipient(r.getJoinedAt(), r.getUntil(), r.getUpTo()));
    }
    List<GroupEntity.Logged> log = new ArrayList<>();
    for (GroupLogged e : p.getLogList()) log.add(fromProto(e));
    Map<String, GroupState.PostRecord> posts = new LinkedHashMap<>();
    for (GroupPostDedup d : p.getPostsList()) {
      posts.put(GroupState.postKey(d.getBy(), d.getDevice(), d.getClientMsgId()),
          new GroupState.PostRecord(d.getSeq(), d.getServerTs()));
    }
    Map<String, GroupState.ReceiptMark> receipts = new LinkedHashMap<>();
    for (GroupReceiptMark m : p.getReceiptsList()) {
      receipts.put(m.getMember(), new GroupState.ReceiptMark(m.getDelivered(), m.getRead()));
    }
    s.restore(!p.getOwner().isEmpty(), p.getName(), p.getOwner(), p.getAdminsList(), p.getLastSeq(), recipients,
        log, posts, receipts);
    return s;
  }
}
