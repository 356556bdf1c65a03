package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AckThrottleTest {
  private final ManualScheduler scheduler = new ManualScheduler();
  private final List<Long> sent = new ArrayList<>();
  private boolean ready = true;
  private final AckThrottle.Out out = new AckThrottle.Out() {
    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public void send(long key) {
      sent.add(key);
    }
  };

  private AckThrottle throttle(long intervalMs) {
    return new AckThrottle(out, scheduler, intervalMs, scheduler::now);
  }

  @Test
  void firstAckGoesOutAtOnceLaterOnesAreMergedUntilTheIntervalEnds() {
    AckThrottle t = throttle(250);
    t.offer(1);
    assertEquals(List.of(1L), sent);
    scheduler.advance(10);
    t.offer(2);
    t.offer(4);
    t.offer(3); // lower than pending: the highest key wins
    assertEquals(List.of(1L), sent);
    scheduler.advance(239);
    assertEquals(List.of(1L), sent);
    scheduler.advance(1);
    assertEquals(List.of(1L, 4L), sent);
    // quiet for longer than the interval: the next one goes at once again
    scheduler.advance(1000);
    t.offer(5);
    assertEquals(List.of(1L, 4L, 5L), sent);
  }

  @Test
  void zeroIntervalSendsEveryAck() {
    AckThrottle t = throttle(0);
    t.offer(1);
    t.offer(2);
    t.offer(3);
    assertEquals(List.of(1L, 2L, 3L), sent);
  }

  @Test
  void anAckTheConnectionCouldNotTakeGoesOutWhenTheNextIsUp() {
    AckThrottle t = throttle(250);
    t.offer(1);
    t.offer(7);
    t.onDisconnected();
    ready = false;
    scheduler.advance(1000);
    assertEquals(List.of(1L), sent);
    assertEquals(0, scheduler.live());
    ready = true;
    t.onConnected();
    assertEquals(List.of(1L, 7L), sent);
    t.onConnected(); // nothing pending: nothing sent twice
    assertEquals(List.of(1L, 7L), sent);
  }

  @Test
  void flushSendsThePendingAckAtOnce() {
    AckThrottle t = throttle(250);
    t.offer(1);
    t.offer(2);
    t.flush();
    assertEquals(List.of(1L, 2L), sent);
    assertEquals(0, scheduler.live());
  }

  @Test
  void keysCompareUnsigned() {
    AckThrottle t = throttle(250);
    t.offer(1);
    t.offer(-1L); // 2^64 - 1
    t.offer(5);
    scheduler.advance(250);
    assertEquals(List.of(1L, -1L), sent);
  }
}
