package io.insync.client;

import java.util.concurrent.Future;

/**
 * Runs a task later on the client's event loop. The client's parts take this instead of the
 * Netty loop so that their logic can be tested with a manual clock.
 */
@FunctionalInterface
interface Scheduler {
  /** Runs {@code task} after {@code delayMs} on the client's event loop; the future cancels it. */
  Future<?> schedule(Runnable task, long delayMs);

  /** Cancels a scheduled task, if any. */
  static void cancel(Future<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }
}
