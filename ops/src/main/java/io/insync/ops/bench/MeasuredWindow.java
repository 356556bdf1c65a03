package io.insync.ops.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The CPU of the measured processes and the journal writes Cassandra coordinated, over one
 * measured window: a daemon thread reads both at the window's start and at its end.
 */
final class MeasuredWindow {
  private final Thread thread;
  private final long endNanos;
  private final List<CpuMeter.CpuUse> cpu = new ArrayList<>();
  private long journalWrites = -1;

  /** Starts watching the window {@code [startNanos, endNanos)} (System.nanoTime scale); {@code writes} may be null. */
  MeasuredWindow(CpuMeter meter, JournalWrites writes, long startNanos, long endNanos) {
    this.endNanos = endNanos;
    this.thread = BenchClients.start("bench-cpu", true, () -> {
      BenchClients.sleepUntil(startNanos);
      meter.start();
      OptionalLong before = writes == null ? OptionalLong.empty() : writes.count();
      BenchClients.sleepUntil(endNanos);
      List<CpuMeter.CpuUse> used = meter.stop();
      OptionalLong after = writes == null ? OptionalLong.empty() : writes.count();
      synchronized (this) {
        journalWrites = JournalWrites.between(before, after);
        cpu.addAll(used);
      }
    });
  }

  /** Waits for the window's end (plus a second), then what was measured; empty/-1 if it did not end. */
  Result await() throws InterruptedException {
    thread.join(Math.max(1000, TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime()) + 1000));
    synchronized (this) {
      return new Result(List.copyOf(cpu), journalWrites);
    }
  }

  /** @param journalWrites writes in the window, -1 when not measured */
  record Result(List<CpuMeter.CpuUse> cpu, long journalWrites) {
    Map<String, Double> percent() {
      Map<String, Double> m = new LinkedHashMap<>();
      for (CpuMeter.CpuUse u : cpu) m.put(u.role(), u.percentOfCore());
      return m;
    }
  }
}
