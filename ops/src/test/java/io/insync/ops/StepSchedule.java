package io.insync.ops;

/**
 * An open-model load in two steps: {@code highCount} messages at {@code highRate} from
 * {@code start}, then {@code lowCount} at {@code lowRate} from the moment the first step ends (the
 * drop). Message {@code n} is due at a fixed time whatever happened to earlier ones, so latency
 * measured from that time includes any queueing (no coordinated omission).
 */
record StepSchedule(long startNanos, double highRate, long highCount, double lowRate, long lowCount) {
  private static final double NANOS = 1e9;

  StepSchedule {
    if (!(highRate > 0) || !(lowRate > 0)) throw new IllegalArgumentException("rates must be positive");
    if (highCount < 0 || lowCount < 0) throw new IllegalArgumentException("counts must be >= 0");
  }

  /** {@code high} seconds at {@code highRate}, then {@code low} seconds at {@code lowRate}, from {@code start}. */
  static StepSchedule of(long startNanos, double highRate, double highSeconds, double lowRate, double lowSeconds) {
    return new StepSchedule(startNanos, highRate, Math.round(highRate * highSeconds), lowRate,
        Math.round(lowRate * lowSeconds));
  }

  long total() {
    return highCount + lowCount;
  }

  /** When the rate drops: the end of the first step. */
  long dropNanos() {
    return startNanos + Math.round(highCount * NANOS / highRate);
  }

  /** When the last message's slot ends. */
  long endNanos() {
    return dropNanos() + Math.round(lowCount * NANOS / lowRate);
  }

  long dueNanos(long n) {
    if (n < 0 || n >= total()) throw new IndexOutOfBoundsException("message " + n + " of " + total());
    if (n < highCount) return startNanos + Math.round(n * NANOS / highRate);
    return dropNanos() + Math.round((n - highCount) * NANOS / lowRate);
  }

  /** The first message due at or after {@code nanos} ({@link #total()} if none). */
  long firstDueAtOrAfter(long nanos) {
    long lo = 0;
    long hi = total();
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (dueNanos(mid) < nanos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
