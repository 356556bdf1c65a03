package io.insync.gateway;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The node-wide count of requests that sessions have in flight to user entities (asked, not yet
 * answered or timed out), shared by every session of a gateway. A session takes a place before
 * it asks an entity and gives it back when the ask completes; past the bound it refuses the
 * request at once, so an overloaded node answers "busy, retry after" instead of queueing work
 * that would only time out. Thread-safe.
 */
public final class Admission {
  private final int maxInFlight;
  private final int authMaxInFlight;
  private final int retryMaxInFlight;
  private final long retryLatencyTargetNanos;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Moving average of send latency (ask to answer), nanos; and when it was last updated. */
  private final AtomicLong sendLatencyNanos = new AtomicLong();
  private volatile long sendLatencyAt;
  private final LongSupplier clock;

  public Admission(GatewaySettings.AdmissionBounds bounds) {
    this(bounds, System::nanoTime);
  }

  /** With a clock of nanoseconds (tests). */
  Admission(GatewaySettings.AdmissionBounds bounds, LongSupplier clock) {
    this.clock = clock;
    this.retryLatencyTargetNanos = bounds.retryLatencyTarget().toNanos();
    this.maxInFlight = bounds.maxInFlight();
    this.authMaxInFlight = bounds.authMaxInFlight();
    this.retryMaxInFlight = bounds.retryMaxInFlight();
  }

  /** A place for a Send or Sync, if fewer than {@code max-in-flight} are in flight. */
  public boolean tryAcquire() {
    return tryAcquireBelow(maxInFlight);
  }

  /**
   * A place for a retried Send ({@code Send.attempt > 0}), if fewer than {@code retry-max-in-flight}
   * are in flight: the rest is kept for first attempts and syncs, so that once a burst is over,
   * fresh messages are served at once while the retries of the burst drain behind them.
   */
  public boolean tryAcquireForRetry() {
    if (sendsAreSlow() && !slowLaneHasRoom()) return false;
    return tryAcquireBelow(retryMaxInFlight);
  }

  /**
   * While sends are slow, retries still get a share: per second at most a tenth of the sends
   * completed in the last second (at least {@link #SLOW_LANE_MIN} a second). Without it a node
   * whose normal latency is above the target would refuse every retry until the client gives up.
   */
  private boolean slowLaneHasRoom() {
    long now = clock.getAsLong();
    synchronized (window) {
      if (now - window[0] >= WINDOW_NANOS) {
        window[2] = now - window[0] < 2 * WINDOW_NANOS ? window[1] : 0; // completions of the last second
        window[0] = now;
        window[1] = 0;
        window[3] = 0;
      }
      long budget = Math.max(SLOW_LANE_MIN, window[2] / 10);
      if (window[3] >= budget) return false;
      window[3]++;
      return true;
    }
  }

  private static final long WINDOW_NANOS = 1_000_000_000L;
  private static final long SLOW_LANE_MIN = 10;
  /** [window start, sends completed in it, sends completed in the one before, slow-lane retries in it] */
  private final long[] window = new long[4];

  /**
   * Records how long an admitted Send took (ask to answer, or to its timeout). Their moving
   * average tells whether the node is queueing: while it is above {@code retry-latency-target},
   * retries are refused, so a backlog of retries drains only as fast as the node can take it
   * without delaying fresh messages.
   */
  public void sendCompleted(long latencyNanos) {
    sendLatencyNanos.getAndUpdate(avg -> avg == 0 ? latencyNanos : avg + (latencyNanos - avg) / 16);
    sendLatencyAt = clock.getAsLong();
    synchronized (window) {
      window[1]++;
    }
  }

  /** True while recent sends took longer than the target (a measure older than a second does not count). */
  boolean sendsAreSlow() {
    if (clock.getAsLong() - sendLatencyAt > STALE_NANOS) return false;
    return sendLatencyNanos.get() > retryLatencyTargetNanos;
  }

  private static final long STALE_NANOS = 1_000_000_000L;

  /** A place for a new session's Auth, if fewer than {@code auth-max-in-flight} are in flight. */
  public boolean tryAcquireForAuth() {
    return tryAcquireBelow(authMaxInFlight);
  }

  /** A place that is never refused (heartbeats): counted, so that others see the load. */
  public void acquire() {
    inFlight.incrementAndGet();
  }

  /** Gives back one place taken by any of the acquire methods. */
  public void release() {
    inFlight.decrementAndGet();
  }

  /**
   * True while {@code max-in-flight} requests are in flight: the node refuses new work. An entity
   * that did not answer then is queueing, not lost, and is not asked again (that would only add load).
   */
  public boolean saturated() {
    return inFlight.get() >= maxInFlight;
  }

  /** Requests in flight now. */
  public int inFlight() {
    return inFlight.get();
  }

  private boolean tryAcquireBelow(int bound) {
    while (true) {
      int now = inFlight.get();
      if (now >= bound) return false;
      if (inFlight.compareAndSet(now, now + 1)) return true;
    }
  }
}
