package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link Admission} as a plain class. */
class AdmissionUnitTest {
  @Test
  void boundsForRequestsAndForNewSessions() {
    Admission a = new Admission(new GatewaySettings.AdmissionBounds(3, 2, 3));
    assertTrue(a.tryAcquireForAuth());
    assertTrue(a.tryAcquire());
    assertFalse(a.tryAcquireForAuth(), "2 in flight: new sessions are refused first");
    assertTrue(a.tryAcquire());
    assertFalse(a.tryAcquire(), "3 in flight: the bound");
    a.acquire(); // heartbeats are counted past the bound
    assertEquals(4, a.inFlight());
    a.release();
    a.release();
    assertTrue(a.tryAcquire());
    assertEquals(3, a.inFlight());
  }

  @Test
  void retriesAreRefusedBeforeFirstAttempts() {
    Admission a = new Admission(new GatewaySettings.AdmissionBounds(4, 4, 2));
    assertTrue(a.tryAcquireForRetry());
    assertTrue(a.tryAcquireForRetry());
    assertFalse(a.tryAcquireForRetry(), "2 in flight: retries wait");
    assertTrue(a.tryAcquire(), "first attempts still get in");
    assertTrue(a.tryAcquire());
    assertFalse(a.tryAcquire(), "4 in flight: the bound");
    a.release();
    a.release();
    a.release();
    assertTrue(a.tryAcquireForRetry(), "below the retry bound again");
  }

  @Test
  void retriesWaitWhileRecentSendsAreSlowAndComeBackWhenTheyAreFastOrTheMeasureIsOld() {
    long[] now = {0};
    Admission a = new Admission(new GatewaySettings.AdmissionBounds(100, 100, 50, java.time.Duration.ofMillis(200)),
        () -> now[0]);
    assertTrue(a.tryAcquireForRetry(), "nothing measured yet");
    a.release();
    for (int i = 0; i < 5; i++) a.sendCompleted(900_000_000L); // 900 ms: the node is queueing
    for (int i = 0; i < 10; i++) assertTrue(a.tryAcquireForRetry(), "a small lane stays open: retries are never starved");
    for (int i = 0; i < 10; i++) a.release();
    assertFalse(a.tryAcquireForRetry(), "sends are slow and the slow lane is used up: retries wait");
    assertTrue(a.tryAcquire(), "first attempts still get in");
    a.release();
    for (int i = 0; i < 100; i++) a.sendCompleted(10_000_000L); // fast again
    assertTrue(a.tryAcquireForRetry(), "sends are fast again");
    a.release();
    for (int i = 0; i < 5; i++) a.sendCompleted(5_000_000_000L);
    now[0] += 1_000_000_000L; // a new second: the lane opens again, a tenth of last second's 110 completions
    a.sendCompleted(5_000_000_000L);
    int lane = 0;
    while (a.tryAcquireForRetry()) lane++;
    assertEquals(11, lane, "slow lane per second");
    for (int i = 0; i < lane; i++) a.release();
    now[0] += 1_500_000_000L; // no send completed for 1.5 s: the measure is stale, not a reason to refuse
    for (int i = 0; i < 40; i++) assertTrue(a.tryAcquireForRetry());
  }

  @Test
  void boundsThatContradictEachOtherAreRefused() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new GatewaySettings.AdmissionBounds(10, 10, 11));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new GatewaySettings.AdmissionBounds(10, 11, 5));
  }

  @Test
  void theBoundHoldsUnderConcurrentAcquires() throws Exception {
    Admission a = new Admission(new GatewaySettings.AdmissionBounds(100, 100, 100));
    AtomicInteger granted = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 1000; i++) if (a.tryAcquire()) granted.incrementAndGet();
      });
      threads[t].start();
    }
    start.countDown();
    for (Thread t : threads) t.join();
    assertEquals(100, granted.get());
    assertEquals(100, a.inFlight());
  }
}
