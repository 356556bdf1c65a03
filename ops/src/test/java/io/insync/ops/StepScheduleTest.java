package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StepScheduleTest {
  private static final long S = 1_000_000_000L;

  @Test
  void highThenLowRateFromTheDrop() {
    StepSchedule s = StepSchedule.of(100, 1000, 30, 200, 20);
    assertEquals(30_000, s.highCount());
    assertEquals(4_000, s.lowCount());
    assertEquals(34_000, s.total());
    assertEquals(100, s.dueNanos(0));
    assertEquals(100 + S / 1000, s.dueNanos(1));
    assertEquals(100 + 30 * S, s.dropNanos());
    assertEquals(s.dropNanos(), s.dueNanos(30_000), "the first low-rate message is due at the drop");
    assertEquals(s.dropNanos() + S / 200, s.dueNanos(30_001));
    assertEquals(100 + 50 * S, s.endNanos());
    assertThrows(IndexOutOfBoundsException.class, () -> s.dueNanos(34_000));
  }

  @Test
  void dueTimesNeverGoBackwards() {
    StepSchedule s = StepSchedule.of(0, 3000, 2, 7, 3);
    for (long n = 1; n < s.total(); n++) assertTrue(s.dueNanos(n) > s.dueNanos(n - 1), "at " + n);
  }

  @Test
  void findsTheFirstMessageOfAWindow() {
    StepSchedule s = StepSchedule.of(0, 1000, 30, 200, 20);
    long tenSecondsAfterDrop = s.dropNanos() + 10 * S;
    long first = s.firstDueAtOrAfter(tenSecondsAfterDrop);
    assertEquals(30_000 + 2_000, first);
    assertTrue(s.dueNanos(first) >= tenSecondsAfterDrop && s.dueNanos(first - 1) < tenSecondsAfterDrop);
    assertEquals(0, s.firstDueAtOrAfter(-5));
    assertEquals(s.total(), s.firstDueAtOrAfter(s.endNanos()));
  }
}
