package io.insync.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.insync.persistence.group.GroupCodec;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.group.GroupState;
import io.insync.persistence.proto.GroupSnapshot;
import io.insync.persistence.user.GroupTag;
import io.insync.persistence.user.GroupTag.Action;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stored forms of groups and of group items in inboxes, as version 1 wrote them: if a test
 * here fails, a change broke data already in Cassandra (see {@link GoldenBytesTest}).
 */
class GroupGoldenBytesTest {
  static final HexFormat HEX = HexFormat.of();
  final GroupEventSerializer groups = new GroupEventSerializer();
  final UserEventSerializer users = new UserEventSerializer();

  static final GroupEntity.Logged CREATED = new GroupEntity.Logged(1, Action.CREATED, "ann", "", "",
      MessageContent.EMPTY, 1700000000000L, List.of("bob", "cy"), "team");
  static final GroupEntity.Logged POSTED = new GroupEntity.Logged(2, Action.MESSAGE, "bob", "phone", "m-1",
      MessageContent.text("hi"), 1700000000001L, List.of(), "");
  static final GroupEntity.CursorsSaved CURSORS = new GroupEntity.CursorsSaved(Map.of("ann", 2L, "bob", 1L));
  static final UserEntity.MessageReceived RECEIVED = new UserEntity.MessageReceived(7, "bob", "phone", "m-1", 2,
      MessageContent.text("hi"), 1700000000001L, UserEntity.Bookkeeping.EMPTY,
      new GroupTag("g1", Action.MESSAGE, List.of(), ""));

  @Test
  void groupLoggedV1() throws Exception {
    String created = "080110011a03616e6e3880d095ffbc314203626f62420263794a047465616d";
    String posted = "08021a03626f62220570686f6e652a036d2d3132040a0268693881d095ffbc31";
    assertEquals("GL1", groups.manifest(CREATED));
    assertEquals(created, HEX.formatHex(groups.toBinary(CREATED)));
    assertEquals(posted, HEX.formatHex(groups.toBinary(POSTED)));
    assertEquals(CREATED, groups.fromBinary(HEX.parseHex(created), "GL1"));
    assertEquals(POSTED, groups.fromBinary(HEX.parseHex(posted), "GL1"));
  }

  @Test
  void cursorsSavedV1() throws Exception {
    String golden = "0a070a03616e6e10020a070a03626f621001";
    assertEquals("GC1", groups.manifest(CURSORS));
    assertEquals(golden, HEX.formatHex(groups.toBinary(CURSORS)));
    assertEquals(CURSORS, groups.fromBinary(HEX.parseHex(golden), "GC1"));
  }

  @Test
  void aGroupItemInAnInboxV1() throws Exception {
    String golden = "08071203626f621a0570686f6e6522036d2d31280232040a0268693881d095ffbc314a040a026731";
    assertEquals(golden, HEX.formatHex(users.toBinary(RECEIVED)));
    assertEquals(RECEIVED, users.fromBinary(HEX.parseHex(golden), "MR1"));
  }

  @Test
  void snapshotRoundTripsTheGroup() throws Exception {
    GroupState s = GroupState.empty("g1", 100).apply(CREATED).apply(POSTED).apply(CURSORS);
    GroupSnapshot snap = GroupCodec.toSnapshot(s);
    GroupState back = GroupCodec.fromSnapshot((GroupSnapshot) groups.fromBinary(groups.toBinary(snap), "GS1"), 100);
    assertEquals(List.of("ann", "bob", "cy"), back.members());
    assertEquals("ann", back.owner());
    assertEquals("team", back.name());
    assertEquals(2, back.lastSeq());
    assertEquals(s.recipients(), back.recipients());
    assertEquals(List.copyOf(s.log().values()), List.copyOf(back.log().values()));
    assertEquals(new GroupState.PostRecord(2, 1700000000001L), back.postedBefore("bob", "phone", "m-1"));
  }

  static final GroupEntity.ReceiptsSaved RECEIPTS = new GroupEntity.ReceiptsSaved(Map.of(
      "ann", new GroupState.ReceiptMark(2, 1), "cy", new GroupState.ReceiptMark(2, 2)));

  @Test
  void receiptsSavedV1() throws Exception {
    String golden = "0a090a03616e6e100218010a080a02637910021802";
    assertEquals("GR1", groups.manifest(RECEIPTS));
    assertEquals(golden, HEX.formatHex(groups.toBinary(RECEIPTS)));
    assertEquals(RECEIPTS, groups.fromBinary(HEX.parseHex(golden), "GR1"));
  }

  @Test
  void snapshotKeepsReceiptMarksAndTheSenders() throws Exception {
    GroupState s = GroupState.empty("g1", 100).apply(CREATED).apply(POSTED).apply(RECEIPTS);
    GroupState back = GroupCodec.fromSnapshot(
        (GroupSnapshot) groups.fromBinary(groups.toBinary(GroupCodec.toSnapshot(s)), "GS1"), 100);
    assertEquals(Map.of("ann", new GroupState.ReceiptMark(2, 1), "cy", new GroupState.ReceiptMark(2, 2)),
        back.receipts());
    assertEquals("bob", back.senderOf(2));
    assertEquals(null, back.senderOf(1)); // a membership entry, not a message
  }
}
