package io.insync.persistence.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The entity's state logic, without actors. */
class UserStateTest {

  static UserState withItems(int n, int tailSize) {
    UserState s = new UserState("u", new UserState.Limits(tailSize, 100, 4));
    for (int i = 1; i <= n; i++) {
      s.apply(new UserEntity.MessageSent(i, "u", "d", "m" + i, MessageContent.text("t" + i), i,
          UserEntity.Bookkeeping.EMPTY), i);
    }
    return s;
  }

  static List<Long> seqs(List<InboxItem> items) {
    return items.stream().map(InboxItem::seq).toList();
  }

  @Test
  void tailAfterReturnsTheGaplessRunAfterTheKeyFromEitherEnd() {
    UserState s = withItems(30, 10); // tail holds 21..30
    for (long key = 20; key <= 30; key++) {
      for (int max = 1; max <= 12; max++) {
        List<Long> expected = LongStream.rangeClosed(key + 1, Math.min(30, key + max)).boxed().toList();
        assertEquals(expected, seqs(s.tailAfter(key, max)), "key " + key + " max " + max);
      }
    }
    assertTrue(s.tailCovers(20));
    assertTrue(!s.tailCovers(19));
  }

  @Test
  void newestAfterGivesTheLastItemsForInlinePushes() {
    UserState s = withItems(30, 10);
    assertEquals(List.of(29L, 30L), seqs(s.newestAfter(28, 2)));
    assertEquals(List.of(28L, 29L, 30L), seqs(s.newestAfter(20, 3)));
    assertEquals(List.of(), seqs(s.newestAfter(30, 3)));
  }

  @Test
  void journalLowerBoundNeverPassesTheRealPosition() {
    UserState s = withItems(30, 10); // one event per item: item i at sequence number i
    for (long seq = 1; seq <= 30; seq++) assertTrue(s.journalSeqNrLowerBound(seq) <= seq);
    assertEquals(28, s.journalSeqNrLowerBound(28)); // indexed every 4
  }

  @Test
  void anItemOutOfSequenceIsRefused() {
    UserState s = withItems(3, 10);
    assertThrows(IllegalStateException.class, () -> s.apply(new UserEntity.MessageSent(5, "v", "d", "x",
        MessageContent.text("gap"), 1, UserEntity.Bookkeeping.EMPTY), 5));
  }

  static UserEntity.MessageSent sent(long seq, String to, String cmid, MessageContent c) {
    return new UserEntity.MessageSent(seq, to, "d", cmid, c, seq, UserEntity.Bookkeeping.EMPTY);
  }

  static UserEntity.Bookkeeping delivered(String to, long seq) {
    return new UserEntity.Bookkeeping(List.of(new UserEntity.DeliveryRef(to, seq)), java.util.Map.of());
  }

  @Test
  void theDedupWindowNeverEvictsASendWhoseDeliveryIsPending() {
    UserState s = new UserState("u", new UserState.Limits(10, 3, 4)); // a window of 3 sends
    s.apply(sent(1, "bob", "pending-one", MessageContent.text("x")), 1); // bob never confirms it
    for (int i = 2; i <= 20; i++) {
      s.apply(sent(i, "carol", "c" + i, MessageContent.text("x")), i);
      s.apply(new UserEntity.BookkeepingFlushed(delivered("carol", i)), 0);
    }
    assertTrue(s.sentBefore("d", "pending-one").isPresent(), "a pending send stays in the dedup window");
    assertTrue(s.sentBefore("d", "c5").isEmpty(), "delivered ones are evicted by count");
    assertEquals(3, s.outbound().size(), "the pending one plus the newest delivered ones");
    // once delivered, it may leave with the next eviction
    s.apply(new UserEntity.BookkeepingFlushed(delivered("bob", 1)), 0);
    s.apply(sent(21, "u", "self", MessageContent.text("x")), 21);
    assertTrue(s.sentBefore("d", "pending-one").isEmpty());
  }

  @Test
  void theTailIsBoundedInBytesAsWellAsItems() {
    UserState s = new UserState("u", new UserState.Limits(100, 10_000, 1000, 1000, 4));
    for (int i = 1; i <= 10; i++) s.apply(sent(i, "u", "m" + i, MessageContent.text("x".repeat(3000))), i);
    assertTrue(s.tailBytes() <= 10_000, "tail bytes " + s.tailBytes());
    assertEquals(3, s.tail().size());
    assertEquals(List.of(8L, 9L, 10L), seqs(s.tail()));
    assertTrue(s.tailCovers(7) && !s.tailCovers(6), "older keys go to the journal");
  }

  @Test
  void sendersHighWaterMarksAreBoundedLeastRecentlyDeliveredFirst() {
    UserState s = new UserState("u", new UserState.Limits(10, Integer.MAX_VALUE, 100, 3, 4));
    long seq = 0;
    for (String from : List.of("a", "b", "c", "a", "d")) {
      seq++;
      s.apply(new UserEntity.MessageReceived(seq, from, "d", "x" + seq, seq, MessageContent.text("x"), 1,
          UserEntity.Bookkeeping.EMPTY), seq);
    }
    assertEquals(3, s.inboundHighWater().size());
    assertEquals(0, s.receivedUpTo("b"), "b delivered least recently: forgotten");
    assertEquals(4, s.receivedUpTo("a"));
    assertEquals(List.of("c", "a", "d"), List.copyOf(s.inboundHighWater().keySet()));
  }

  @Test
  void pendingCountsAndBytesFollowEventsAndConfirmations() {
    UserState s = new UserState("u", UserState.Limits.DEFAULT);
    s.apply(sent(1, "bob", "m1", MessageContent.text("hello")), 1);
    s.apply(sent(2, "bob", "m2", MessageContent.text("hello")), 2);
    s.apply(sent(3, "cyd", "m3", MessageContent.text("hello")), 3);
    assertEquals(2, s.pendingCountFor("bob"));
    assertEquals(3, s.pendingCount());
    long one = s.pendingFor("bob").get(0).estimatedBytes();
    assertEquals(one * 3, s.pendingBytes());
    s.apply(new UserEntity.BookkeepingFlushed(delivered("bob", 1)), 0);
    assertEquals(2, s.pendingCount());
    assertEquals(one * 2, s.pendingBytes());
  }

  @Test
  void theEmptyTemplateIsNeverChangedSoARestartReplaysFromScratch() {
    UserState template = UserState.empty("u", UserState.Limits.DEFAULT);
    UserState first = template.apply(sent(1, "u", "m1", MessageContent.text("a")), 1);
    first = first.apply(sent(2, "u", "m2", MessageContent.text("b")), 2);
    assertEquals(0, template.lastSeq(), "the template stays empty");
    assertEquals(2, first.lastSeq());
    // a replay after a restart starts on the template again, and succeeds
    UserState replay = template.apply(sent(1, "u", "m1", MessageContent.text("a")), 1);
    assertEquals(1, replay.lastSeq());
    assertThrows(IllegalStateException.class, () -> template.setLimits(UserState.Limits.DEFAULT));
  }
}
