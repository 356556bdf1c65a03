package io.insync.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.protocol.GroupEvent;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

  @Test
  void allAckedAndDeliveredOnceIsExactlyOnce() {
    DeliveryLedger l = new DeliveryLedger(3);
    for (int n = 0; n < 3; n++) {
      l.sent(n, n + 10);
      assertTrue(l.acked(n));
      assertTrue(l.delivered(n, n + 10, 100 + n));
    }
    DeliveryLedger.Check c = l.check(3);
    assertTrue(c.exactlyOnce());
    assertEquals(3, c.acked());
    assertEquals(3, c.deliveredOnce());
    assertEquals(0, c.missing());
    assertEquals(0, c.duplicateDeliveries());
  }

  @Test
  void countsMissingDuplicatesAndMisrouted() {
    DeliveryLedger l = new DeliveryLedger(5);
    l.sent(0, 1);
    l.acked(0);                       // acked, never delivered -> missing
    l.sent(1, 2);
    l.acked(1);
    assertTrue(l.delivered(1, 2, 10));
    assertFalse(l.delivered(1, 2, 11)); // second delivery: a duplicate, latency not counted again
    assertFalse(l.delivered(1, 2, 12));
    l.sent(2, 3);
    l.acked(2);
    assertFalse(l.delivered(2, 4, 10)); // wrong user
    assertTrue(l.delivered(2, 3, 10));
    l.sent(3, 5);
    l.failed(3);
    assertTrue(l.delivered(3, 5, 10)); // the send failed but the message got through: allowed
    l.sent(4, 6);                      // neither acked nor failed at the end
    DeliveryLedger.Check c = l.check(5);
    assertFalse(c.exactlyOnce());
    assertEquals(5, c.sent());
    assertEquals(3, c.acked());
    assertEquals(1, c.failed());
    assertEquals(1, c.unackedAtEnd());
    assertEquals(1, c.missing());
    assertEquals(1, c.duplicateMessages());
    assertEquals(2, c.duplicateDeliveries());
    assertEquals(1, c.misrouted());
    assertEquals(1, c.deliveredUnacked());
    assertEquals(2, c.deliveredOnce()); // messages 2 and 3
  }

  @Test
  void ackIsCountedOnceAndOutOfRangeDeliveriesAreIgnored() {
    DeliveryLedger l = new DeliveryLedger(1);
    l.sent(0, 0);
    assertTrue(l.acked(0));
    assertFalse(l.acked(0));
    assertFalse(l.delivered(7, 0, 1));
    assertFalse(l.delivered(-1, 0, 1));
    assertEquals(1, l.check(1).missing());
  }

  @Test
  void onlyTheSentPrefixIsChecked() {
    DeliveryLedger l = new DeliveryLedger(10);
    l.sent(0, 1);
    l.acked(0);
    l.delivered(0, 1, 5);
    DeliveryLedger.Check c = l.check(1);
    assertEquals(1, c.sent());
    assertTrue(c.exactlyOnce());
  }

  @Test
  void onlyOneToOneMessagesCountAsDeliveries() {
    Item message = Item.newBuilder().setSeq(1).setFrom("a").setTo("b").build();
    assertTrue(DeliveryLedger.isDelivery(message));
    assertFalse(DeliveryLedger.isDelivery(message.toBuilder().setGroup("g").setGroupSeq(3).build()), "a group's post");
    assertFalse(DeliveryLedger.isDelivery(message.toBuilder().setGroup("g").setKind(ItemKind.GROUP_EVENT)
        .setGroupEvent(GroupEvent.newBuilder().setType(GroupEventType.GROUP_JOINED)).build()), "a group event");
    // a receipt of a kind this build does not know yet (DELIVERY_RECEIPT, READ_RECEIPT, ...)
    assertFalse(DeliveryLedger.isDelivery(message.toBuilder().setKindValue(2).build()), "another kind");
  }
}
