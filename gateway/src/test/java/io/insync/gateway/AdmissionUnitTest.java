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
    Admission a = new Admission(new GatewaySettings.AdmissionBounds(3, 2));
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
  void theBoundHoldsUnderConcurrentAcquires() throws Exception {
    Admission a = new Admission(new GatewaySettings.AdmissionBounds(100, 100));
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
