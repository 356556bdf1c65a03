package io.insync.gateway;

import java.util.concurrent.atomic.AtomicInteger;

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
  private final AtomicInteger inFlight = new AtomicInteger();

  public Admission(GatewaySettings.AdmissionBounds bounds) {
    this.maxInFlight = bounds.maxInFlight();
    this.authMaxInFlight = bounds.authMaxInFlight();
  }

  /** A place for a Send or Sync, if fewer than {@code max-in-flight} are in flight. */
  public boolean tryAcquire() {
    return tryAcquireBelow(maxInFlight);
  }

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
