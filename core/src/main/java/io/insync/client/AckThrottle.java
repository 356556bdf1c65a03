package io.insync.client;

import java.util.concurrent.Future;
import java.util.function.LongSupplier;

/**
 * Acks are cumulative (an {@code Ack{key}} covers every seq up to {@code key}), so a device that
 * takes items faster than {@code interval} needs only one Ack per interval, carrying the highest
 * key: fewer frames for the radio, and less work for the node (each Ack is a frame to decode and
 * a message to the user's entity). The first Ack after a quiet interval goes out at once; later
 * ones within the interval wait for its end and are merged. An Ack not sent when the connection
 * drops is sent as soon as the next one is up; {@link #flush()} sends it at once (close).
 *
 * <p>Confined to the client's event loop. Keys are uint64 (compared unsigned).
 */
final class AckThrottle {
  /** Where Acks go. */
  interface Out {
    boolean ready();

    void send(long key);
  }

  private final Out out;
  private final Scheduler scheduler;
  private final long intervalMs;
  private final LongSupplier clockMs;

  private boolean hasPending;
  private long pendingKey;
  private long lastSentAtMs;
  private boolean sentOnce;
  private Future<?> timer;

  AckThrottle(Out out, Scheduler scheduler, long intervalMs, LongSupplier clockMs) {
    if (intervalMs < 0) {
      throw new IllegalArgumentException("interval must be >= 0");
    }
    this.out = out;
    this.scheduler = scheduler;
    this.intervalMs = intervalMs;
    this.clockMs = clockMs;
  }

  /** The application (or the sync loop) has everything up to {@code key}. */
  void offer(long key) {
    if (!hasPending || Long.compareUnsigned(key, pendingKey) > 0) {
      pendingKey = key;
    }
    hasPending = true;
    if (timer != null) {
      return; // merged into the Ack already scheduled
    }
    long wait = sentOnce ? lastSentAtMs + intervalMs - clockMs.getAsLong() : 0;
    if (wait <= 0) {
      flush();
    } else {
      timer = scheduler.schedule(() -> {
        timer = null;
        flush();
      }, wait);
    }
  }

  /** Sends the pending Ack now, if there is one and a connection to send it on. */
  void flush() {
    Scheduler.cancel(timer);
    timer = null;
    if (!hasPending || !out.ready()) {
      return; // kept: sent when the next connection is up
    }
    hasPending = false;
    sentOnce = true;
    lastSentAtMs = clockMs.getAsLong();
    out.send(pendingKey);
  }

  /** A new connection is authenticated: an Ack the old one could not take goes out now. */
  void onConnected() {
    flush();
  }

  /** The connection is gone: nothing goes out until the next one; the pending key is kept. */
  void onDisconnected() {
    Scheduler.cancel(timer);
    timer = null;
  }
}
