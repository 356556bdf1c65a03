package io.insync.ops.ready;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReadinessTest {

  /** A clock that moves only when slept on. */
  static final class ManualClock implements Readiness.Clock {
    long now = 1_000;

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleep(Duration d) {
      now += d.toNanos();
    }
  }

  @Test
  void waitsUntilTheConditionHolds() throws Exception {
    ManualClock clock = new ManualClock();
    Readiness r = new Readiness(clock, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMillis(100));
    AtomicInteger tries = new AtomicInteger();
    Duration took = r.await("third time", Readiness.holds(() -> tries.incrementAndGet() >= 3));
    assertEquals(3, tries.get());
    assertEquals(Duration.ofMillis(200), took, "two pauses");
  }

  @Test
  void aFailedOrUnansweredProbeIsTriedAgain() throws Exception {
    ManualClock clock = new ManualClock();
    Readiness r = new Readiness(clock, Duration.ofSeconds(10), Duration.ofMillis(1), Duration.ofMillis(100));
    AtomicInteger tries = new AtomicInteger();
    r.await("flaky", () -> switch (tries.incrementAndGet()) {
      case 1 -> CompletableFuture.failedFuture(new IllegalStateException("journal down"));
      case 2 -> new CompletableFuture<>(); // never answers: times out after the probe timeout
      default -> CompletableFuture.completedFuture(true);
    });
    assertEquals(3, tries.get());
  }

  @Test
  void oneDeadlineForAllConditionsNamesTheOneThatFailed() throws Exception {
    ManualClock clock = new ManualClock();
    Readiness r = new Readiness(clock, Duration.ofSeconds(1), Duration.ofMillis(1), Duration.ofMillis(100));
    r.await("first", Readiness.holds(() -> clock.now > 1_000 + Duration.ofMillis(500).toNanos()));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> r.await("the region is registered", () -> CompletableFuture.failedFuture(new RuntimeException("no coordinator"))));
    assertTrue(e.getMessage().contains("the region is registered"), e.getMessage());
    assertTrue(e.getMessage().contains("no coordinator"), e.getMessage());
    assertTrue(clock.now <= 1_000 + Duration.ofMillis(1100).toNanos(), "gave up at the shared deadline");
  }

  @Test
  void aNodeThatCanNeverBeReadyStopsWaitingAtOnce() {
    ManualClock clock = new ManualClock();
    AtomicInteger tries = new AtomicInteger();
    Readiness r = new Readiness(clock, Duration.ofSeconds(180), Duration.ofMillis(1), Duration.ofMillis(100),
        () -> tries.get() >= 2 ? "removed from the cluster (Down)" : null);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> r.await("this node is Up", Readiness.holds(() -> tries.incrementAndGet() < 0)));
    assertEquals(2, tries.get(), "no try after the node was removed");
    assertTrue(e.getMessage().contains("removed from the cluster"), e.getMessage());
    assertTrue(clock.now < 1_000 + Duration.ofSeconds(1).toNanos(), "did not wait for the 180 s deadline");
  }
}
