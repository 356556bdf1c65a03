package io.insync.persistence.user;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts recoveries that failed because the journal's replay filter saw events of two writers
 * for one persistence id (two live incarnations of one user wrote: a split brain, a fencing
 * failure). Each such failure is also logged at ERROR with the user's id. A plain JVM-wide
 * counter until metrics (Kamon) arrive; the node exposes it, tests read it.
 */
public final class ReplayFilterAlarms {
  private static final AtomicLong COUNT = new AtomicLong();

  private ReplayFilterAlarms() {}

  public static long count() {
    return COUNT.get();
  }

  static void record() {
    COUNT.incrementAndGet();
  }

  /**
   * True if {@code failure} (or a cause) is the replay filter's complaint about two writers.
   * Pekko's ReplayFilter (mode {@code fail}) throws an IllegalStateException "Invalid replayed
   * event [...] from a new writer ..." or "... from an old writer ...".
   */
  public static boolean isTwoWriters(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null && m.contains("Invalid replayed event") && m.contains("writer")) return true;
    }
    return false;
  }
}
