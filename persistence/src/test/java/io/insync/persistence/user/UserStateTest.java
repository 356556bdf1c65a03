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
}
