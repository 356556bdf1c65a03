package io.insync.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.insync.persistence.proto.UserSnapshot;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.Receipt;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserState;
import java.io.NotSerializableException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stored bytes must stay readable forever. These hex strings are what version 1 wrote; if a test
 * here fails, a change broke compatibility with data already in Cassandra: evolve the schema
 * compatibly (new optional fields, new manifests) instead of editing these strings.
 */
class GoldenBytesTest {
  static final HexFormat HEX = HexFormat.of();
  final UserEventSerializer serializer = new UserEventSerializer();

  static final UserEntity.Bookkeeping BK = new UserEntity.Bookkeeping(
      List.of(new UserEntity.DeliveryRef("bob", 3)), Map.of("phone", 7L));

  static final UserEntity.MessageSent SENT = new UserEntity.MessageSent(
      4, "bob", "phone", "m-1", new MessageContent("hi", new byte[] {1, 2}, "t"), 1700000000000L, BK);
  static final String SENT_HEX =
      "08041203626f621a0570686f6e6522036d2d312a0b0a026869120201021a017430"
          + "80d095ffbc313a140a070a03626f62100312090a0570686f6e651007";

  static final UserEntity.MessageReceived RECEIVED = new UserEntity.MessageReceived(
      9, "alice", "laptop", "m-2", 5, MessageContent.text("yo"), 1700000000001L, UserEntity.Bookkeeping.EMPTY);

  static final UserEntity.BookkeepingFlushed FLUSHED = new UserEntity.BookkeepingFlushed(BK);

  String hex(Object o) {
    return HEX.formatHex(serializer.toBinary(o));
  }

  @Test
  void messageSentV1() throws Exception {
    assertEquals(UserEventSerializer.MESSAGE_SENT_V1, serializer.manifest(SENT));
    assertEquals(SENT_HEX, hex(SENT));
    assertEquals(SENT, serializer.fromBinary(HEX.parseHex(SENT_HEX), "MS1"));
  }

  @Test
  void messageReceivedV1() throws Exception {
    String golden = "08091205616c6963651a066c6170746f7022036d2d32280532040a02796f"
        + "3881d095ffbc31";
    assertEquals(golden, hex(RECEIVED));
    assertEquals(RECEIVED, serializer.fromBinary(HEX.parseHex(golden), "MR1"));
  }

  @Test
  void bookkeepingFlushedV1() throws Exception {
    String golden = "0a140a070a03626f62100312090a0570686f6e651007";
    assertEquals(golden, hex(FLUSHED));
    assertEquals(FLUSHED, serializer.fromBinary(HEX.parseHex(golden), "BF1"));
  }

  @Test
  void snapshotRoundTripsTheWholeState() throws Exception {
    UserState s = new UserState("alice", UserState.Limits.DEFAULT);
    s.apply(new UserEntity.MessageSent(1, "bob", "phone", "m-1", MessageContent.text("a"), 10, UserEntity.Bookkeeping.EMPTY), 1);
    s.apply(new UserEntity.MessageReceived(2, "bob", "pc", "x", 1, MessageContent.text("b"), 11, UserEntity.Bookkeeping.EMPTY), 2);
    s.apply(new UserEntity.BookkeepingFlushed(new UserEntity.Bookkeeping(List.of(), Map.of("phone", 2L))));
    UserSnapshot snap = StoreCodec.toSnapshot(s);
    byte[] bytes = serializer.toBinary(snap);
    UserSnapshot back = (UserSnapshot) serializer.fromBinary(bytes, "SN1");
    UserState r = StoreCodec.fromSnapshot("alice", UserState.Limits.DEFAULT, back);
    assertEquals(2, r.lastSeq());
    assertEquals(s.tail(), r.tail());
    assertEquals(List.of(new InboxItem(1, "alice", "bob", "phone", "m-1", 10, MessageContent.text("a"), 0)), r.pendingFor("bob"));
    assertEquals(1, r.receivedUpTo("bob"));
    assertEquals(2, r.deviceKey("phone"));
    assertEquals(1, r.sentBefore("phone", "m-1").orElseThrow().seq());
    assertEquals(s.journalIndex(), r.journalIndex());
  }

  static final UserEntity.ReceiptLogged READ_RECEIPT = new UserEntity.ReceiptLogged(
      6, "bob", Receipt.of(Receipt.Kind.READ, 4), 1700000000002L, UserEntity.Bookkeeping.EMPTY);
  static final UserEntity.ReceiptLogged GROUP_RECEIPT = new UserEntity.ReceiptLogged(
      7, "", Receipt.group("g1", List.of(new Receipt.Count(3, 2, 1, 4))), 1700000000003L, BK);

  @Test
  void receiptLoggedV1() throws Exception {
    String read = "08061203626f621a04080110042082d095ffbc312a00";
    String group = "08071a1008021a026731220808031002180120042083d095ffbc312a140a070a03626f62100312090a0570686f6e651007";
    assertEquals(UserEventSerializer.RECEIPT_LOGGED_V1, serializer.manifest(READ_RECEIPT));
    assertEquals(read, hex(READ_RECEIPT));
    assertEquals(group, hex(GROUP_RECEIPT));
    assertEquals(READ_RECEIPT, serializer.fromBinary(HEX.parseHex(read), "RL1"));
    assertEquals(GROUP_RECEIPT, serializer.fromBinary(HEX.parseHex(group), "RL1"));
  }

  @Test
  void devicesReadsAndPrefsV1() throws Exception {
    var registered = new UserEntity.DeviceRegistered("phone", "phone", 1700000000004L);
    var removed = new UserEntity.DeviceRemoved("pc", 1700000000005L);
    var readPeer = new UserEntity.ReadMarked("bob", 9);
    var readGroup = new UserEntity.ReadMarked("#g1", 10);
    var prefs = new UserEntity.PrefsChanged(true);
    Map<Object, String> golden = new java.util.LinkedHashMap<>();
    golden.put(registered, "0a0570686f6e65120570686f6e651884d095ffbc31");
    golden.put(removed, "0a0270631085d095ffbc31");
    golden.put(readPeer, "0a03626f621809");
    golden.put(readGroup, "12026731180a");
    golden.put(prefs, "0801");
    assertEquals(List.of("DR1", "DX1", "RM1", "RM1", "PC1"),
        golden.keySet().stream().map(serializer::manifest).toList());
    for (Map.Entry<Object, String> e : golden.entrySet()) {
      assertEquals(e.getValue(), hex(e.getKey()), "bytes of " + e.getKey());
      assertEquals(e.getKey(), serializer.fromBinary(HEX.parseHex(e.getValue()), serializer.manifest(e.getKey())));
    }
  }

  @Test
  void snapshotKeepsDevicesReadsAndReceipts() throws Exception {
    UserState s = new UserState("alice", UserState.Limits.DEFAULT);
    s.apply(new UserEntity.MessageSent(1, "bob", "phone", "m-1", MessageContent.text("a"), 10, UserEntity.Bookkeeping.EMPTY), 1);
    s.apply(READ_RECEIPT.withSeq(2), 2);
    s.apply(GROUP_RECEIPT.withSeq(3), 3);
    s.apply(new UserEntity.DeviceRegistered("phone", "phone", 5), 4);
    s.apply(new UserEntity.DeviceRegistered("pc", "desktop", 6), 5);
    s.apply(new UserEntity.DeviceRemoved("pc", 7), 6);
    s.apply(new UserEntity.ReadMarked("#g1", 3), 7);
    s.apply(new UserEntity.PrefsChanged(true), 8);
    UserSnapshot back = (UserSnapshot) serializer.fromBinary(serializer.toBinary(StoreCodec.toSnapshot(s)), "SN1");
    UserState r = StoreCodec.fromSnapshot("alice", UserState.Limits.DEFAULT, back);
    assertEquals(s.tail(), r.tail());
    assertEquals(s.devices(), r.devices());
    assertEquals(new UserState.DeviceRecord("desktop", 6, true), r.device("pc"));
    assertEquals(3, r.readUpTo("#g1"));
    assertEquals(new UserState.ReceiptMark(4, 4), r.receiptsFrom("bob"));
    assertEquals(true, r.readReceiptsOff());
    assertEquals(1, r.activeDevices());
  }

  @Test
  void unknownManifestIsALoudError() {
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "XX9"));
  }
}
