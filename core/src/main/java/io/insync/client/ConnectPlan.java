package io.insync.client;

import java.util.function.LongSupplier;

/**
 * Where and when the next connection attempt goes. Attempts walk the address list round-robin;
 * after each failed one the next waits a {@link Backoff} delay (at least the server's {@code
 * retry_after_ms}). Until the client has been authenticated once, a first {@link
 * InsyncClient#connect()} gives up when the next attempt would start after its deadline; once
 * authenticated, the client reconnects for as long as it lives.
 *
 * <p>Plain logic over a clock; confined to the client's event loop.
 */
final class ConnectPlan {
  private final int addressCount;
  private final Backoff backoff;
  private final LongSupplier nowMs;
  private int address;
  private int failures;
  private boolean established;
  private long deadlineMs;

  ConnectPlan(int addressCount, int firstAddress, Backoff backoff, LongSupplier nowMs) {
    if (addressCount <= 0 || firstAddress < 0 || firstAddress >= addressCount) {
      throw new IllegalArgumentException("address " + firstAddress + " of " + addressCount);
    }
    this.addressCount = addressCount;
    this.address = firstAddress;
    this.backoff = backoff;
    this.nowMs = nowMs;
  }

  /** A first connect starts: it may retry for {@code retryTimeoutMs}. */
  void startFirstConnect(long retryTimeoutMs) {
    established = false;
    failures = 0;
    deadlineMs = nowMs.getAsLong() + retryTimeoutMs;
  }

  /** An attempt got {@code AuthOk}: from now on the client reconnects without a deadline. */
  void onAuthenticated() {
    established = true;
    failures = 0;
  }

  /** Authentication failed for good: a later connect() is a first connect again. */
  void onAuthFailed() {
    established = false;
  }

  /** Whether the client was authenticated since the last first connect. */
  boolean established() {
    return established;
  }

  /** The index of the address to try now. */
  int address() {
    return address;
  }

  /** Passes over the current address without an attempt (it is the gateway that is leaving). */
  void skip() {
    address = (address + 1) % addressCount;
  }

  /**
   * The attempt failed: moves on to the next address and returns how long to wait before trying
   * it, or -1 if a first connect should give up (its deadline would pass before).
   */
  long afterFailure(long retryAfterMs) {
    address = (address + 1) % addressCount;
    long delay = backoff.delayMs(failures, retryAfterMs);
    failures = Math.min(failures + 1, 62);
    if (!established && nowMs.getAsLong() + delay > deadlineMs) {
      return -1;
    }
    return delay;
  }
}
