package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.GroupEvent;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.GroupInfo;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.SendAck;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the client commands print, line by line. */
class CliJsonTest {

  @Test
  void aOneToOneItemHasKindMessageAndNoGroupFields() {
    Item i = Item.newBuilder().setSeq(3).setFrom("alice").setTo("bob").setFromDevice("cli").setClientMsgId("c-1")
        .setServerTs(42).setContent(Envelopes.text("hi \"bob\"")).build();
    assertEquals("{\"seq\":3,\"from\":\"alice\",\"to\":\"bob\",\"from_device\":\"cli\",\"text\":\"hi \\\"bob\\\"\","
        + "\"type\":\"" + i.getContent().getType() + "\",\"data_bytes\":0,\"client_msg_id\":\"c-1\",\"kind\":\"MESSAGE\","
        + "\"server_ts\":42}", Json.item(i));
    assertEquals("#3 alice -> bob: hi \"bob\"", ClientCommands.human(i));
  }

  @Test
  void aGroupEventCarriesItsGroupAndEventFields() {
    Item i = Item.newBuilder().setSeq(7).setFrom("ann").setTo("bob").setGroup("g1").setGroupSeq(2)
        .setKind(ItemKind.GROUP_EVENT).setServerTs(5)
        .setGroupEvent(GroupEvent.newBuilder().setType(GroupEventType.GROUP_CREATED).addMembers("bob").addMembers("cy")
            .setName("team")).build();
    assertEquals("{\"seq\":7,\"from\":\"ann\",\"to\":\"bob\",\"from_device\":\"\",\"text\":\"\",\"type\":\"\","
        + "\"data_bytes\":0,\"client_msg_id\":\"\",\"kind\":\"GROUP_EVENT\",\"group\":\"g1\",\"group_seq\":2,"
        + "\"group_event\":{\"type\":\"GROUP_CREATED\",\"members\":[\"bob\",\"cy\"],\"name\":\"team\"},\"server_ts\":5}",
        Json.item(i));
    assertEquals("#7 [g1] ann GROUP_CREATED bob,cy", ClientCommands.human(i));
  }

  @Test
  void aKindNewerThanThisBuildPrintsAsItsNumber() {
    Item i = Item.newBuilder().setSeq(1).setFrom("bob").setTo("alice").setKindValue(7).build();
    assertEquals("7", Json.kind(i));
    assertEquals("#1 (7) bob -> alice: ", ClientCommands.human(i));
  }

  @Test
  void aGroupAndAnAck() {
    GroupInfo g = GroupInfo.newBuilder().setGroup("g1").setName("t").setOwner("ann").addAdmins("bob")
        .addAllMembers(List.of("ann", "bob", "cy")).setLastSeq(4).build();
    assertEquals("{\"group\":\"g1\",\"name\":\"t\",\"owner\":\"ann\",\"admins\":[\"bob\"],"
        + "\"members\":[\"ann\",\"bob\",\"cy\"],\"last_seq\":4}", Json.group(g));
    assertEquals(List.of("owner", "admin", "member"),
        g.getMembersList().stream().map(m -> GroupCommand.Members.role(g, m)).toList());
    assertEquals("{\"client_msg_id\":\"c\",\"seq\":2}", Json.ack(SendAck.newBuilder().setClientMsgId("c").setSeq(2).build()));
    assertEquals("{\"client_msg_id\":\"c\",\"seq\":5,\"group\":\"g1\"}",
        Json.ack(SendAck.newBuilder().setClientMsgId("c").setSeq(5).setGroup("g1").build()));
  }

  @Test
  void receiptsAndDevices() {
    Item read = Item.newBuilder().setSeq(4).setFrom("bob").setTo("alice").setKind(ItemKind.READ_RECEIPT)
        .setReceiptUpTo(3).setServerTs(9).build();
    assertEquals("{\"seq\":4,\"from\":\"bob\",\"to\":\"alice\",\"from_device\":\"\",\"text\":\"\",\"type\":\"\","
        + "\"data_bytes\":0,\"client_msg_id\":\"\",\"kind\":\"READ_RECEIPT\",\"receipt_up_to\":3,\"server_ts\":9}",
        Json.item(read));
    assertEquals("#4 bob read your messages up to #3", ClientCommands.human(read));
    Item counts = Item.newBuilder().setSeq(5).setTo("alice").setKind(ItemKind.GROUP_RECEIPT).setGroup("g1")
        .addReceiptCounts(io.insync.protocol.ReceiptCount.newBuilder().setGroupSeq(2).setDelivered(3).setRead(1)
            .setRecipients(4)).setServerTs(10).build();
    assertEquals("{\"seq\":5,\"from\":\"\",\"to\":\"alice\",\"from_device\":\"\",\"text\":\"\",\"type\":\"\","
        + "\"data_bytes\":0,\"client_msg_id\":\"\",\"kind\":\"GROUP_RECEIPT\",\"group\":\"g1\",\"group_seq\":0,"
        + "\"receipt_counts\":[{\"group_seq\":2,\"delivered\":3,\"read\":1,\"recipients\":4}],\"server_ts\":10}",
        Json.item(counts));
    assertEquals("#5 [g1] receipts: #2 3/4 got, 1 read;", ClientCommands.human(counts));
    assertEquals("{\"device\":\"phone\",\"platform\":\"phone\",\"sync_key\":7,\"online\":true,\"registered_at_ms\":5}",
        DevicesCommand.json(io.insync.protocol.DeviceInfo.newBuilder().setDevice("phone").setPlatform("phone")
            .setSyncKey(7).setOnline(true).setRegisteredAtMs(5).build()));
  }
}
