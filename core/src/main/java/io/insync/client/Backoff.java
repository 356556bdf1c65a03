package io.insync.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: attempt n waits a random time in [d/2, d], d = min·2ⁿ capped at max. */
final class Backoff {
  private final long minMs;
  private final long maxMs;

  Backoff(Duration min, Duration max) {
    this.minMs = Math.max(1, min.toMillis());
    this.maxMs = Math.max(minMs, max.toMillis());
  }

  long delayMs(int attempt) {
    long d = attempt >= 30 ? maxMs : Math.min(maxMs, minMs << attempt);
    long half = d / 2;
    return half + ThreadLocalRandom.current().nextLong(d - half + 1);
  }

  long minMs() {
    return minMs;
  }
}
