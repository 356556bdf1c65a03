package io.insync.client;

import io.insync.protocol.Error;
import io.insync.protocol.ErrorCode;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Retry delays: exponential backoff with full jitter and a cap, on top of the server's
 * {@code retry_after_ms}. Retry number {@code n} (0 = the first retry) waits
 *
 * <pre>retryAfter + uniform[0, min(cap, base · 2ⁿ)]</pre>
 *
 * which is never less than {@code max(retryAfter, jittered backoff)}, so the server's minimum
 * always holds; adding the jitter on top (rather than taking the larger of the two) spreads a
 * burst that the server rejected with one and the same {@code retry_after_ms} over the backoff
 * window instead of bringing it back at one instant. Full jitter (from 0, not from half the
 * window) spreads retries of many clients the most for the same mean wait.
 *
 * <p>Not thread-safe: each client uses its own on its event loop.
 */
final class Backoff {
  private final long baseMs;
  private final long capMs;
  private final RandomGenerator random;

  Backoff(Duration base, Duration cap, RandomGenerator random) {
    this.baseMs = Math.max(1, base.toMillis());
    this.capMs = Math.max(baseMs, cap.toMillis());
    this.random = random;
  }

  /** The upper end of the jitter window of retry {@code attempt}: min(cap, base · 2^attempt). */
  long windowMs(int attempt) {
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt < 0: " + attempt);
    }
    if (attempt >= Long.SIZE - 1 || baseMs > (capMs >> attempt)) {
      return capMs; // base · 2^attempt > cap (checked without overflowing)
    }
    return baseMs << attempt;
  }

  /** The wait before retry {@code attempt}, at least {@code retryAfterMs} (0 if the server named none). */
  long delayMs(int attempt, long retryAfterMs) {
    return Math.max(0, retryAfterMs) + random.nextLong(windowMs(attempt) + 1);
  }

  /** The server's {@code retry_after_ms} (a uint32 on the wire) as a non-negative long. */
  static long retryAfterMs(Error error) {
    return Integer.toUnsignedLong(error.getRetryAfterMs());
  }

  /**
   * Error codes that say "not now" rather than "not this": a request answered with one is
   * retried unchanged (a send under the same {@code client_msg_id}) after a backoff.
   */
  static boolean isTransient(ErrorCode code) {
    return code == ErrorCode.UNAVAILABLE || code == ErrorCode.RATE_LIMITED || code == ErrorCode.TIMEOUT;
  }
}
