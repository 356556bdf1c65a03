package io.insync.ops.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * CPU time of a few processes over one window: {@link #start()} reads utime+stime of each from
 * {@code /proc/PID/stat}, {@link #stop()} reads again and returns what each used, with the window's
 * wall time, so it can be shown as % of one core and as microseconds per message.
 */
public final class CpuMeter {
  private final Map<String, Long> pids;
  private final long ticksPerSecond;
  private final Map<String, Long> startTicks = new LinkedHashMap<>();
  private long startNanos;

  /** @param pids role ("node", "cassandra", "bench") to pid, in the order to report them */
  public CpuMeter(Map<String, Long> pids) {
    this(pids, ProcStat.clockTicksPerSecond());
  }

  CpuMeter(Map<String, Long> pids, long ticksPerSecond) {
    this.pids = new LinkedHashMap<>(pids);
    this.ticksPerSecond = ticksPerSecond;
  }

  /** The node, Cassandra (each if known) and this JVM as "bench". */
  public static Map<String, Long> roles(OptionalLong node, OptionalLong cassandra) {
    Map<String, Long> m = new LinkedHashMap<>();
    node.ifPresent(p -> m.put("node", p));
    cassandra.ifPresent(p -> m.put("cassandra", p));
    m.put("bench", ProcessHandle.current().pid());
    return m;
  }

  /** Several nodes ("node 1", "node 2", ... in the order given; just "node" when one), Cassandra and "bench". */
  public static Map<String, Long> roles(java.util.List<Long> nodes, OptionalLong cassandra) {
    Map<String, Long> m = new LinkedHashMap<>();
    if (nodes.size() == 1) m.put("node", nodes.get(0));
    else for (int i = 0; i < nodes.size(); i++) m.put("node " + (i + 1), nodes.get(i));
    cassandra.ifPresent(p -> m.put("cassandra", p));
    m.put("bench", ProcessHandle.current().pid());
    return m;
  }

  public synchronized void start() {
    startTicks.clear();
    pids.forEach((role, pid) -> ProcStat.cpuTicks(pid).ifPresent(t -> startTicks.put(role, t)));
    startNanos = System.nanoTime();
  }

  /** What each process used since {@link #start()}; a process unreadable at either end is left out. */
  public synchronized List<CpuUse> stop() {
    long windowNanos = System.nanoTime() - startNanos;
    List<CpuUse> out = new ArrayList<>();
    pids.forEach((role, pid) -> {
      Long begin = startTicks.get(role);
      OptionalLong end = ProcStat.cpuTicks(pid);
      if (begin != null && end.isPresent()) {
        out.add(new CpuUse(role, pid, (end.getAsLong() - begin) / (double) ticksPerSecond, windowNanos / 1e9));
      }
    });
    return out;
  }

  /**
   * CPU one process used in a window.
   *
   * @param cpuSeconds utime + stime used during the window
   * @param windowSeconds the window's wall time
   */
  public record CpuUse(String role, long pid, double cpuSeconds, double windowSeconds) {
    /** Percent of one core (a 2-core machine has 200 %). */
    public double percentOfCore() {
      return windowSeconds > 0 ? 100.0 * cpuSeconds / windowSeconds : Double.NaN;
    }

    /** Microseconds of CPU per message, or NaN if no message. */
    public double microsPerMessage(long messages) {
      return messages > 0 ? cpuSeconds * 1e6 / messages : Double.NaN;
    }
  }
}
