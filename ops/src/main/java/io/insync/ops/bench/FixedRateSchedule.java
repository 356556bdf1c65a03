package io.insync.ops.bench;

/**
 * An open-loop, fixed-rate schedule: message {@code n} (0-based) is due at
 * {@code start + n / rate} seconds, whatever happened to earlier messages. Latencies are
 * measured from these intended times, so time a message spends queued behind a slow sender
 * (or a slow server) counts against it (no coordinated omission).
 */
public final class FixedRateSchedule {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final long startNanos;
  private final double ratePerSecond;
  private final long total;

  /**
   * @param startNanos    the time (System.nanoTime scale) message 0 is due
   * @param ratePerSecond messages per second, positive
   * @param total         how many messages the schedule holds
   */
  public FixedRateSchedule(long startNanos, double ratePerSecond, long total) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("rate must be positive: " + ratePerSecond);
    }
    if (total < 0) throw new IllegalArgumentException("total must be >= 0: " + total);
    this.startNanos = startNanos;
    this.ratePerSecond = ratePerSecond;
    this.total = total;
  }

  /** How many messages a run of {@code seconds} at {@code rate} holds (rounded down, exact for integers). */
  public static long messagesIn(double ratePerSecond, long durationNanos) {
    if (durationNanos <= 0) return 0;
    return (long) Math.floor(ratePerSecond * durationNanos / NANOS_PER_SECOND + 1e-9);
  }

  public long startNanos() {
    return startNanos;
  }

  public double ratePerSecond() {
    return ratePerSecond;
  }

  public long total() {
    return total;
  }

  /** When message {@code n} is due. */
  public long dueNanos(long n) {
    if (n < 0 || n >= total) throw new IndexOutOfBoundsException("message " + n + " of " + total);
    return startNanos + Math.round(n * (NANOS_PER_SECOND / ratePerSecond));
  }

  /**
   * How many messages are due at {@code nowNanos} (all of index below the result), capped at
   * {@link #total()}: a sender that fell behind sends these at once to catch up.
   */
  public long dueCount(long nowNanos) {
    if (nowNanos < startNanos) return 0;
    long elapsed = nowNanos - startNanos;
    long k = (long) Math.floor(elapsed * ratePerSecond / NANOS_PER_SECOND) + 1;
    // guard against floating-point rounding at the boundaries: make it agree with dueNanos
    while (k > 0 && k <= total && dueNanos(k - 1) > nowNanos) k--;
    while (k < total && dueNanos(k) <= nowNanos) k++;
    return Math.min(k, total);
  }

  /** The end of the schedule: when message {@code total} would be due. */
  public long endNanos() {
    return startNanos + Math.round(total * (NANOS_PER_SECOND / ratePerSecond));
  }
}
