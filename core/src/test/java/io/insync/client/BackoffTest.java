package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(42));

  @Test
  void theWindowDoublesPerAttemptUpToTheCap() {
    assertEquals(100, backoff.windowMs(0));
    assertEquals(200, backoff.windowMs(1));
    assertEquals(400, backoff.windowMs(2));
    assertEquals(3200, backoff.windowMs(5));
    assertEquals(5000, backoff.windowMs(6), "capped");
    assertEquals(5000, backoff.windowMs(62), "no overflow");
    assertEquals(5000, backoff.windowMs(1000));
  }

  @Test
  void everyDelayWaitsAtLeastRetryAfterAndAtMostRetryAfterPlusTheWindow() {
    for (int attempt = 0; attempt < 12; attempt++) {
      for (long retryAfter : new long[] {0, 1, 150, 1000, 30_000}) {
        for (int i = 0; i < 200; i++) {
          long d = backoff.delayMs(attempt, retryAfter);
          assertTrue(d >= retryAfter, () -> d + " < retry_after " + retryAfter);
          assertTrue(d <= retryAfter + backoff.windowMs(attempt), () -> d + " beyond the window");
        }
      }
    }
  }

  @Test
  void aBurstRejectedWithOneRetryAfterIsSpreadOverTheWindow() {
    // 1,000 sends all told retry_after_ms = 1000 on their first retry: not one instant
    Set<Long> distinct = new HashSet<>();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 1000; i++) {
      long d = backoff.delayMs(0, 1000);
      distinct.add(d);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertTrue(distinct.size() > 90, "spread over ~101 distinct ms, got " + distinct.size());
    assertTrue(min < 1010, "full jitter reaches the low end: " + min);
    assertTrue(max > 1090, "and the high end: " + max);
    long atTheFloor = 0;
    for (int i = 0; i < 1000; i++) {
      if (backoff.delayMs(0, 1000) == 1000) {
        atTheFloor++;
      }
    }
    assertTrue(atTheFloor < 50, "max(retry_after, jitter) would put almost all at 1000 ms: " + atTheFloor);
  }

  @Test
  void laterAttemptsWaitLongerOnAverage() {
    double previous = -1;
    for (int attempt = 0; attempt <= 6; attempt++) {
      long sum = 0;
      for (int i = 0; i < 2000; i++) {
        sum += backoff.delayMs(attempt, 0);
      }
      double mean = sum / 2000.0;
      assertTrue(mean > previous, "attempt " + attempt + " mean " + mean + " after " + previous);
      previous = mean;
    }
  }

  @Test
  void theSameSeedGivesTheSameDelays() {
    Backoff a = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(7));
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(7));
    for (int i = 0; i < 20; i++) {
      assertEquals(a.delayMs(i % 8, 50), b.delayMs(i % 8, 50));
    }
  }

  @Test
  void retryAfterIsAnUnsigned32BitValue() {
    Error huge = Error.newBuilder().setCode(ErrorCode.UNAVAILABLE).setRetryAfterMs(-1).build();
    assertEquals(4_294_967_295L, Backoff.retryAfterMs(huge));
    assertEquals(250, Backoff.retryAfterMs(Error.newBuilder().setRetryAfterMs(250).build()));
  }

  @Test
  void transientCodesAreTheNotNowOnes() {
    assertTrue(Backoff.isTransient(ErrorCode.UNAVAILABLE));
    assertTrue(Backoff.isTransient(ErrorCode.RATE_LIMITED));
    assertTrue(Backoff.isTransient(ErrorCode.TIMEOUT));
    assertFalse(Backoff.isTransient(ErrorCode.BAD_REQUEST));
    assertFalse(Backoff.isTransient(ErrorCode.AUTH_FAILED));
    assertFalse(Backoff.isTransient(ErrorCode.INTERNAL));
  }
}
