package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Sender-side delivery bookkeeping, without actors. */
class OutboxTest {
  final AtomicLong ids = new AtomicLong();

  static InboxItem item(long seq, int contentBytes) {
    return new InboxItem(seq, "alice", "bob", "d", "m" + seq, seq, new MessageContent("x".repeat(contentBytes), null, ""), 0);
  }

  static List<InboxItem> items(int n, int contentBytes) {
    return LongStream.rangeClosed(1, n).mapToObj(s -> item(s, contentBytes)).toList();
  }

  @Test
  void oneBatchInFlightPerRecipientBoundedInCountAndBytes() {
    Outbox<String> o = new Outbox<>(ids::incrementAndGet);
    List<InboxItem> pending = items(10, 1000);
    int perItem = pending.get(0).estimatedBytes();
    Outbox.Batch b = o.nextBatch("bob", pending, 100, perItem * 3 + 10);
    assertEquals(List.of(1L, 2L, 3L), b.items().stream().map(InboxItem::seq).toList());
    assertNull(o.nextBatch("bob", pending, 100, 1 << 20), "one batch in flight at a time");
    assertTrue(o.inFlight("bob"));
    o.confirm("bob", b.attemptId(), 3, pending);
    Outbox.Batch b2 = o.nextBatch("bob", pending, 2, 1 << 20);
    assertEquals(List.of(4L, 5L), b2.items().stream().map(InboxItem::seq).toList(), "count bound; confirmed skipped");
  }

  @Test
  void aBatchAlwaysCarriesAtLeastOneItemEvenIfItAloneIsOverTheByteBound() {
    Outbox<String> o = new Outbox<>(ids::incrementAndGet);
    Outbox.Batch b = o.nextBatch("bob", items(3, 70_000), 100, 1000);
    assertEquals(1, b.items().size());
  }

  @Test
  void staleRepliesAreIgnored() {
    Outbox<String> o = new Outbox<>(ids::incrementAndGet);
    List<InboxItem> pending = items(2, 1);
    Outbox.Batch b = o.nextBatch("bob", pending, 100, 1 << 20);
    assertNull(o.confirm("bob", b.attemptId() + 1000, 2, pending), "an unknown attempt's receipt");
    assertEquals(0, o.fail("bob", b.attemptId() + 1000));
    assertTrue(o.inFlight("bob"), "the real attempt is still in flight");
    assertEquals(1, o.fail("bob", b.attemptId()));
    assertNull(o.confirm("bob", b.attemptId(), 2, pending), "a receipt after the attempt timed out");
    assertFalse(o.isConfirmed("bob", 1));
    // a new incarnation never knows the old one's attempts
    Outbox<String> fresh = new Outbox<>(ids::incrementAndGet);
    assertNull(fresh.confirm("bob", b.attemptId(), 2, pending));
  }

  @Test
  void confirmationsAckWaitersAndAreWrittenOnce() {
    Outbox<String> o = new Outbox<>(ids::incrementAndGet);
    List<InboxItem> pending = items(3, 1);
    o.addWaiter(1, "w1");
    o.addWaiter(2, "w2a");
    o.addWaiter(2, "w2b");
    Outbox.Batch b = o.nextBatch("bob", pending, 100, 1 << 20);
    var done = o.confirm("bob", b.attemptId(), 2, pending);
    assertEquals(List.of(List.of("w1"), List.of("w2a", "w2b")), done.stream().map(Outbox.Confirmed::waiters).toList());
    assertTrue(o.isConfirmed("bob", 2));
    assertEquals(2, o.confirmedNotWritten());
    assertEquals(List.of(new UserEntity.DeliveryRef("bob", 1), new UserEntity.DeliveryRef("bob", 2)), o.takeConfirmed());
    assertFalse(o.hasUnwritten());
    assertEquals(List.of(), o.takeConfirmed());
  }

  @Test
  void failuresCountInARowAndResetOnSuccess() {
    Outbox<String> o = new Outbox<>(ids::incrementAndGet);
    List<InboxItem> pending = items(1, 1);
    for (int n = 1; n <= 3; n++) assertEquals(n, o.fail("bob", o.nextBatch("bob", pending, 10, 1 << 20).attemptId()));
    o.confirm("bob", o.nextBatch("bob", pending, 10, 1 << 20).attemptId(), 1, pending);
    assertEquals(0, o.failures("bob"));
  }
}
