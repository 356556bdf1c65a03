package io.insync.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FixedRateScheduleTest {
  private static final long S = 1_000_000_000L;

  @Test
  void messagesInARun() {
    assertEquals(70_000, FixedRateSchedule.messagesIn(1000, 70 * S));
    assertEquals(1_500 * 70, FixedRateSchedule.messagesIn(1500, 70 * S));
    assertEquals(0, FixedRateSchedule.messagesIn(1000, 0));
    assertEquals(1, FixedRateSchedule.messagesIn(3, 500_000_000L)); // 1.5 -> 1
    assertEquals(3, FixedRateSchedule.messagesIn(0.5, 6 * S));
  }

  @Test
  void dueTimesAreEvenlySpacedFromTheStartWhateverHappened() {
    FixedRateSchedule s = new FixedRateSchedule(1_000, 2000, 10);
    assertEquals(1_000, s.dueNanos(0));
    assertEquals(1_000 + 500_000, s.dueNanos(1));
    assertEquals(1_000 + 9 * 500_000, s.dueNanos(9));
    assertEquals(1_000 + 10 * 500_000, s.endNanos());
    assertThrows(IndexOutOfBoundsException.class, () -> s.dueNanos(10));
    assertThrows(IndexOutOfBoundsException.class, () -> s.dueNanos(-1));
  }

  @Test
  void nonIntegerIntervalsDoNotDrift() {
    FixedRateSchedule s = new FixedRateSchedule(0, 3000, 3_000_000); // 333,333.33 ns apart
    assertEquals(1000L * S, s.dueNanos(3_000_000 - 1) + 333_333, 1);
    assertEquals(S, s.dueNanos(3000));
  }

  @Test
  void dueCountAgreesWithDueTimes() {
    FixedRateSchedule s = new FixedRateSchedule(5_000, 1500, 1000);
    assertEquals(0, s.dueCount(4_999));
    assertEquals(1, s.dueCount(5_000));
    for (int n = 1; n < 1000; n++) {
      long due = s.dueNanos(n);
      assertEquals(n, s.dueCount(due - 1), "just before message " + n);
      assertEquals(n + 1, s.dueCount(due), "at message " + n);
    }
    assertEquals(1000, s.dueCount(Long.MAX_VALUE / 2), "capped at the total");
  }

  @Test
  void fallingBehindMeansCatchingUpNotSkipping() {
    FixedRateSchedule s = new FixedRateSchedule(0, 1000, 100);
    // a sender that wakes up 50 ms late owes 51 messages, each still measured from its own due time
    assertEquals(51, s.dueCount(50 * 1_000_000L));
    assertTrue(s.dueNanos(0) < s.dueNanos(50));
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new FixedRateSchedule(0, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new FixedRateSchedule(0, -5, 1));
    assertThrows(IllegalArgumentException.class, () -> new FixedRateSchedule(0, Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> new FixedRateSchedule(0, 10, -1));
  }
}
