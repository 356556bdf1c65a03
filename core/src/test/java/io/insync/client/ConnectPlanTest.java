package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConnectPlanTest {
  private long now = 1_000;
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2), new Random(1));
  private final ConnectPlan plan = new ConnectPlan(3, 1, backoff, () -> now);

  @Test
  void attemptsWalkTheAddressesRoundRobin() {
    plan.startFirstConnect(60_000);
    assertEquals(1, plan.address());
    plan.afterFailure(0);
    assertEquals(2, plan.address());
    plan.afterFailure(0);
    assertEquals(0, plan.address());
    plan.afterFailure(0);
    assertEquals(1, plan.address());
  }

  @Test
  void delaysHonourRetryAfterAndGrowWithFailures() {
    plan.startFirstConnect(600_000);
    long first = plan.afterFailure(1000);
    assertTrue(first >= 1000 && first <= 1100, "retry_after + jitter in [0, 100]: " + first);
    for (int i = 1; i < 10; i++) {
      long d = plan.afterFailure(0);
      assertTrue(d >= 0 && d <= backoff.windowMs(i), "failure " + i + ": " + d);
    }
  }

  @Test
  void aFirstConnectGivesUpWhenTheNextAttemptWouldStartAfterItsDeadline() {
    plan.startFirstConnect(3_000);
    now += 1_000;
    assertTrue(plan.afterFailure(500) >= 500, "fits: retry");
    now += 1_000;
    assertEquals(-1, plan.afterFailure(1_500), "would start after the deadline");
    plan.startFirstConnect(3_000);
    assertTrue(plan.afterFailure(0) >= 0, "a new connect() has a new deadline");
  }

  @Test
  void anEstablishedClientReconnectsWithoutADeadlineAndStartsItsBackoffAgain() {
    plan.startFirstConnect(1_000);
    for (int i = 0; i < 8; i++) {
      plan.afterFailure(0); // pushes the backoff exponent up
    }
    plan.onAuthenticated();
    now += 3_600_000;
    long d = plan.afterFailure(60_000);
    assertTrue(d >= 60_000 && d <= 60_100, "no deadline; backoff from the first window again: " + d);
    plan.onAuthFailed();
    plan.startFirstConnect(1_000);
    assertEquals(-1, plan.afterFailure(5_000), "after AUTH_FAILED a connect has a deadline again");
  }
}
